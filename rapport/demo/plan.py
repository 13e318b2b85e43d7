"""The whole demo data set as plain columns, before anything touches the database.

The demo (`services.generate_demo`) writes it with bulk_create; the benchmark (`bench/generate.py`)
draws it in chunks and writes it with COPY. Same seed, chunk and day → same data.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from rapport.demo.catalogue import Catalogue, build_catalogue
from rapport.demo.people import People, draw_people, local_midnights
from rapport.demo.purchases import Orders, draw_orders
from rapport.demo.relations import Log, Organisations, draw_log, draw_organisations

TAGS = {
    "VIP": "#b8860b",
    "at risk": "#c0392b",
    "referrer": "#27ae60",
    "newsletter": "#2980b9",
    "trade customer": "#8e44ad",
    "birthday club": "#d35400",
    "event guest": "#16a085",
}


@dataclass
class DemoData:
    start: date  # first day with activity
    end: date  # last day with activity (yesterday: nothing is in the future)
    people: People
    catalogue: Catalogue
    organisations: Organisations
    orders: Orders
    log: Log
    tags: dict[str, list]  # person, tag


def demo_window(*, today: date, years: int) -> tuple[date, date]:
    end = today - timedelta(days=1)
    try:
        start = end.replace(year=end.year - years) + timedelta(days=1)
    except ValueError:  # 29 February
        start = end - timedelta(days=365 * years - 1)
    return start, end


def draw_demo(
    *,
    customers: int,
    seed: int,
    years: int,
    today: date,
    tz: str,
    chunk: int = 0,
    ordinal_offset: int = 0,
    rate_scale: float = 1.0,
) -> DemoData:
    """`customers` people with everything that happened to them in the `years` before `today`."""
    start, end = demo_window(today=today, years=years)
    now = datetime.combine(
        today, datetime.min.time(), ZoneInfo(tz)
    )  # local midnight: all before it
    days = (end - start).days + 1
    people = draw_people(
        customers,
        seed=seed,
        chunk=chunk,
        ordinal_offset=ordinal_offset,
        start=start,
        end=end,
        tz=tz,
    )
    catalogue = build_catalogue(np.random.default_rng([seed, 0]))
    organisations = draw_organisations(
        people, seed=seed, chunk=chunk, ordinal_offset=ordinal_offset
    )
    orders = draw_orders(
        people,
        catalogue,
        seed=seed,
        chunk=chunk,
        start=start,
        end=end,
        now=now,
        tz=tz,
        organisation_of=organisations.organisation_of,
        rate_scale=rate_scale,
    )
    per_person = np.bincount(orders.person, minlength=customers)
    log = draw_log(
        people,
        per_person,
        seed=seed,
        chunk=chunk,
        start=start,
        now=now,
        midnights=local_midnights(start, days, tz),
        tz=tz,
    )
    tags = _tags(
        people,
        organisations,
        orders,
        log,
        seed=seed,
        chunk=chunk,
        ordinal_offset=ordinal_offset,
        now=int(now.timestamp()),
    )
    return DemoData(
        start=start,
        end=end,
        people=people,
        catalogue=catalogue,
        organisations=organisations,
        orders=orders,
        log=log,
        tags=tags,
    )


def _tags(
    people: People,
    organisations: Organisations,
    orders: Orders,
    log: Log,
    *,
    seed: int,
    chunk: int,
    ordinal_offset: int,
    now: int,
) -> dict[str, list]:
    """Tags that follow from what happened: best customers, lapsing regulars, referrers, …"""
    rng = np.random.default_rng([seed, chunk, 5])
    n = len(people)
    kept = orders.status != "cancelled"
    spend = np.bincount(orders.person[kept], weights=orders.total[kept], minlength=n)
    count = np.bincount(orders.person[kept], minlength=n)
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, orders.person[kept], orders.ordered_at[kept])
    referrers = people.referrer[people.referrer >= ordinal_offset] - ordinal_offset
    newsletter = [
        p
        for p, ch, ok in zip(
            people.consents["person"],
            people.consents["channel"],
            people.consents["granted"],
            strict=True,
        )
        if ch == "email" and ok
    ]
    event = [
        p
        for p, kind in zip(log.interactions["person"], log.interactions["kind"], strict=True)
        if kind == "event"
    ]
    has_birthday = np.array([b is not None for b in people.customers["birthday"]])
    members = {
        "VIP": np.flatnonzero(spend >= max(np.quantile(spend, 0.95), 1)),
        "at risk": np.flatnonzero((count >= 3) & (now - last > 180 * 86400)),
        "referrer": np.unique(referrers),
        "newsletter": np.unique(newsletter),
        "trade customer": np.unique(organisations.contacts["person"]),
        "birthday club": np.flatnonzero(has_birthday & (rng.random(n) < 0.08)),
        "event guest": np.unique(event),
    }
    out: dict[str, list] = {"person": [], "tag": []}
    for tag, who in members.items():
        out["person"].extend(int(p) for p in who)
        out["tag"].extend([tag] * len(who))
    return out
