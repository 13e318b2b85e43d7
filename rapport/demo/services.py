"""Demo data: a realistic, multilingual customer base with two years of history, in seconds.

Everything is drawn column-wise first (rapport.demo.plan) and then written through each app's
bulk writer (rapport.customers.bulk, rapport.sales.bulk, rapport.communications.bulk,
rapport.analytics.bulk) — the same writers the per-row services and the importer use, so the rows
are the ones they would write: names applied, search terms indexed, totals summed from the lines,
a creation row in the history for each record, dated when it happened.
"""

from datetime import UTC, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rapport.communications.bulk import NewDetail, NewInteraction, interactions_insert
from rapport.core.actors import DEMO, Actor
from rapport.core.registry import DemoContext, demo_steps
from rapport.customers.bulk import (
    NewConsent,
    NewContact,
    NewCustomer,
    NewOrganisation,
    consents_insert,
    customers_insert,
    organisation_contacts_insert,
    organisations_insert,
    tags_ensure,
)
from rapport.customers.models import Customer
from rapport.demo.plan import TAGS, DemoData, draw_demo
from rapport.sales.bulk import NewOrder, NewReturn, orders_insert, products_insert
from rapport.sales.models import Order, OrderLine, Product

BATCH = 2000
ORDER_PREFIX = "DM"
HISTORY_NOTE = "demo"


def generate_demo(
    *, customers: int, seed: int = 2026, years: int = 2, by: Actor = None
) -> dict[str, int]:
    """Add `customers` demo customers with `years` of orders, contacts and conversations.

    The same seed on the same day gives the same data. Returns the number of rows written per kind.
    """
    if customers < 1 or years < 1:
        raise ValueError("customers and years must be at least 1")
    data = draw_demo(
        customers=customers,
        seed=seed,
        years=years,
        today=timezone.localdate(),
        tz=settings.TIME_ZONE,
    )
    with transaction.atomic():
        first_new = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        counts = write_demo_data(data, by=by)
        counts["churn_records"] = _write_churn(seed=seed, by=by, first_new=first_new)
        counts["duplicates"] = _write_duplicates(seed=seed, by=by, first_new=first_new)
        # Then every app's own demo data (complaints, surveys, members…), on these customers.
        context = DemoContext(
            seed=seed,
            by=by if by is not None else DEMO,
            customer_ids=list(
                Customer.objects.filter(pk__gte=first_new)
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
            today=timezone.localdate(),
        )
        for step in demo_steps():
            counts.update(step.run(context))
        return counts


def _money(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _time(unix: Any) -> datetime:
    return datetime.fromtimestamp(int(unix), UTC)


def write_demo_data(
    data: DemoData, *, by: Actor, first_customer_id: int | None = None
) -> dict[str, int]:
    """Write drawn demo data through the apps' writers; returns rows written per kind.

    `first_customer_id`: give the customers the ids first, first + 1, … (the benchmark loader
    draws a million people in chunks whose referrers point at earlier chunks by number)."""
    actor = by if by is not None else DEMO
    counts: dict[str, int] = {}
    customer_ids = _write_customers(
        data, actor=actor, counts=counts, first_customer_id=first_customer_id
    )
    organisation_ids = _write_organisations(data, customer_ids, actor=actor, counts=counts)
    product_ids = _write_products(data, actor=actor, counts=counts)
    _write_orders(data, customer_ids, organisation_ids, product_ids, actor=actor, counts=counts)
    _write_log(data, customer_ids, actor=actor, counts=counts)
    return counts


def _by_person(table: dict[str, list], n: int) -> list[list[int]]:
    """Row indexes of a child table (phones, emails…) per person."""
    rows: list[list[int]] = [[] for _ in range(n)]
    for j, p in enumerate(table.get("person", [])):
        rows[int(p)].append(j)
    return rows


def _write_customers(
    data: DemoData, *, actor: Any, counts: dict[str, int], first_customer_id: int | None = None
) -> np.ndarray:
    """Through the customer file's writer, each customer dated the day they became one."""
    people, columns = data.people, data.people.customers
    n = len(people)
    phones, emails, addresses = (
        _by_person(t, n) for t in (people.phones, people.emails, people.addresses)
    )
    tags = _by_person(data.tags, n)
    zone = timezone.get_default_timezone()
    referrer = people.referrer
    address_parts = [k for k in people.addresses if k != "person"]
    rows = []
    for i in range(n):
        fields = {name: values[i] for name, values in columns.items()}
        since = fields.get("customer_since")
        ordered_phones = sorted(phones[i], key=lambda j: not people.phones["is_primary"][j])
        ordered_emails = sorted(emails[i], key=lambda j: not people.emails["is_primary"][j])
        has_referrer = referrer is not None and referrer[i] >= 0
        if first_customer_id is not None and has_referrer:
            # Referrers are earlier people, by their number over all chunks (0-based).
            fields["referred_by_id"] = int(referrer[i]) + 1
        rows.append(
            NewCustomer(
                pk=None if first_customer_id is None else first_customer_id + i,
                fields=fields,
                phones=[
                    (people.phones["number"][j], people.phones["kind"][j]) for j in ordered_phones
                ],
                emails=[people.emails["address"][j] for j in ordered_emails],
                addresses=[
                    {k: people.addresses[k][j] for k in address_parts} for j in addresses[i]
                ],
                tags=[data.tags["tag"][j] for j in tags[i]],
                created_at=datetime.combine(since, dtime(9), zone) if since else None,
                referrer_row=int(referrer[i])
                if has_referrer and first_customer_id is None
                else None,
            )
        )
    _ensure_demo_tags()
    ids = np.array(
        customers_insert(rows, by=actor, note=HISTORY_NOTE, history_times=True), dtype=np.int64
    )
    consents = people.consents
    consents_insert(
        [
            NewConsent(
                customer_id=int(ids[p]),
                channel=channel,
                granted=granted,
                changed_at=_time(at),
                method=method,
            )
            for p, channel, granted, at, method in zip(
                consents["person"],
                consents["channel"],
                consents["granted"],
                consents["changed_at"],
                consents["method"],
                strict=True,
            )
        ],
        by=actor,
        note=HISTORY_NOTE,
    )
    counts["customers"] = n
    counts["phones"] = len(people.phones.get("person", []))
    counts["emails"] = len(people.emails.get("person", []))
    counts["addresses"] = len(people.addresses.get("person", []))
    counts["consents"] = len(consents.get("person", []))
    counts["customer_tags"] = len(data.tags.get("person", []))
    counts["search_terms"] = sum(len(r.names.terms) for r in rows if r.names is not None)
    return ids


def _ensure_demo_tags() -> None:
    """The demo's tags with their colours."""
    tags_ensure(TAGS, colours=TAGS)


def _write_organisations(
    data: DemoData, customer_ids: np.ndarray, *, actor: Any, counts: dict[str, int]
) -> np.ndarray:
    rows, contacts = data.organisations.rows, data.organisations.contacts
    ids = organisations_insert(
        [
            NewOrganisation(fields={k: v[i] for k, v in rows.items()})
            for i in range(len(data.organisations))
        ],
        by=actor,
        note=HISTORY_NOTE,
    )
    links = organisation_contacts_insert(
        [
            NewContact(
                organisation_id=ids[o],
                person_id=int(customer_ids[p]),
                buying_role=role,
                job_title=title,
                is_primary=primary,
            )
            for o, p, role, title, primary in zip(
                contacts["organisation"],
                contacts["person"],
                contacts["buying_role"],
                contacts["job_title"],
                contacts["is_primary"],
                strict=True,
            )
        ],
        by=actor,
        note=HISTORY_NOTE,
    )
    counts["organisations"], counts["organisation_contacts"] = len(ids), len(links)
    return np.array(ids, dtype=np.int64)


def _write_products(data: DemoData, *, actor: Any, counts: dict[str, int]) -> np.ndarray:
    """The catalogue, reusing products an earlier demo run created."""
    cat = data.catalogue
    existing = dict(Product.objects.filter(sku__in=list(cat.sku)).values_list("sku", "pk"))
    new = [
        {
            "sku": sku,
            "name": cat.name[i],
            "category": cat.category[i],
            "price": _money(cat.price_cents[i]),
            "unit_cost": _money(cat.cost_cents[i]),
            "active": True,
        }
        for i, sku in enumerate(cat.sku)
        if sku not in existing
    ]
    ids = products_insert(new, by=actor, note=HISTORY_NOTE)
    existing |= {row["sku"]: pk for row, pk in zip(new, ids, strict=True)}
    counts["products"] = len(new)
    return np.array([existing[sku] for sku in cat.sku], dtype=np.int64)


def _next_order_number() -> int:
    last = (
        Order.objects.filter(number__startswith=ORDER_PREFIX)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    digits = (last or "")[len(ORDER_PREFIX) :]
    return int(digits) + 1 if digits.isdigit() else 1


def _write_orders(
    data: DemoData,
    customer_ids: np.ndarray,
    organisation_ids: np.ndarray,
    product_ids: np.ndarray,
    *,
    actor: Any,
    counts: dict[str, int],
) -> None:
    """Through the deal history's writer, each order recorded on the day it was placed."""
    o = data.orders
    first = _next_order_number()
    lines_of: list[list[int]] = [[] for _ in range(len(o))]
    for j, order in enumerate(o.line_order):
        lines_of[int(order)].append(j)
    returns_of: dict[int, list[int]] = {}
    for k, line in enumerate(o.return_line):
        returns_of.setdefault(int(line), []).append(k)
    orders = []
    for i in range(len(o)):
        lines = [
            OrderLine(
                product_id=int(product_ids[o.line_product[j]]),
                quantity=Decimal(int(o.line_quantity[j])),
                unit_price=_money(o.line_unit_price[j]),
                discount=_money(o.line_discount[j]),
                line_total=_money(o.line_total[j]),
                unit_cost=_money(o.line_unit_cost[j]),
            )
            for j in lines_of[i]
        ]
        returns = [
            NewReturn(
                line_index=position,
                returned_at=_time(o.return_at[k]),
                quantity=Decimal(int(o.return_quantity[k])),
                refund_amount=_money(o.return_refund[k]),
                reason=o.return_reason[k],
            )
            for position, j in enumerate(lines_of[i])
            for k in returns_of.get(j, ())
        ]
        orders.append(
            NewOrder(
                number=f"{ORDER_PREFIX}{first + i:08d}",
                customer_id=int(customer_ids[o.person[i]]),
                organisation_id=int(organisation_ids[o.organisation[i]])
                if o.organisation[i] >= 0
                else None,
                ordered_at=_time(o.ordered_at[i]),
                status=str(o.status[i]),
                channel=str(o.channel[i]),
                promotion_code=str(o.promotion_code[i]),
                lines=lines,
                returns=returns,
            )
        )
    orders_insert(orders, by=actor, note=HISTORY_NOTE, history_times=True)
    counts["orders"] = len(orders)
    counts["order_lines"] = len(o.line_order)
    counts["returns"] = len(o.return_line)


def _write_log(
    data: DemoData, customer_ids: np.ndarray, *, actor: Any, counts: dict[str, int]
) -> None:
    """Through the communication log's writer: each detail dated with its conversation."""
    log, d = data.log.interactions, data.log.details
    details_of: dict[int, list[NewDetail]] = {}
    for i, kind, text, relevant_on, pinned, archived in zip(
        d["interaction"],
        d["kind"],
        d["text"],
        d["relevant_on"],
        d["pinned"],
        d["archived"],
        strict=True,
    ):
        details_of.setdefault(int(i), []).append(
            NewDetail(
                text=text, kind=kind, relevant_on=relevant_on, pinned=pinned, archived=archived
            )
        )
    interactions_insert(
        [
            NewInteraction(
                customer_id=int(customer_ids[p]),
                kind=kind,
                direction=direction,
                occurred_at=_time(at),
                subject=subject,
                summary=summary,
                details=details_of.get(i, []),
            )
            for i, (p, kind, direction, at, subject, summary) in enumerate(
                zip(
                    log["person"],
                    log["kind"],
                    log["direction"],
                    log["occurred_at"],
                    log["subject"],
                    log["summary"],
                    strict=True,
                )
            )
        ],
        by=actor,
        note=HISTORY_NOTE,
        history_times=True,
    )
    counts["interactions"], counts["remembered_details"] = len(log["person"]), len(d["person"])


DUPLICATE_SHARE = 0.005  # of the people also entered by another department


def _write_duplicates(*, seed: int, by: Actor, first_new: int) -> int:
    """Some people a second time, as another department's system knew them (DOMAIN §1, GM).

    The second record has the same name, one of the phone or email of the first (so the duplicate
    finder can find it), an external id from the "ERP" and less detail — the records to merge.
    """
    new = Customer.objects.filter(pk__gte=first_new).order_by("pk")
    ids = list(new.values_list("pk", flat=True))
    count = int(len(ids) * DUPLICATE_SHARE) if len(ids) >= 40 else min(len(ids) // 10, 2)
    if count == 0:
        return 0
    rng = np.random.default_rng(seed + 7)
    picks = sorted(int(i) for i in rng.choice(ids, size=count, replace=False))
    originals = Customer.objects.filter(pk__in=picks).prefetch_related("phones", "emails")
    twins = []
    for original, share_phone in zip(originals, rng.random(count) < 0.6, strict=True):
        phones, emails = list(original.phones.all()), list(original.emails.all())
        twin = NewCustomer(
            fields={
                "external_id": f"ERP-{original.pk:07d}",
                "family_name": original.family_name,
                "given_name": original.given_name,
                "gender": original.gender,
                "birthday": original.birthday if rng.random() < 0.5 else None,
                "preferred_language": original.preferred_language,
                "customer_since": original.customer_since,
                "source": "sales",
            }
        )
        if phones and (share_phone or not emails):
            twin.phones = [(phones[0].number, phones[0].kind)]
        elif emails:
            twin.emails = [emails[0].address]
        twins.append(twin)
    customers_insert(twins, by=by if by is not None else DEMO, note=HISTORY_NOTE)
    return len(twins)


# Why lapsed customers left, as staff would have heard it (DOMAIN §2: the leaky bucket's holes).
CHURN_SHARE = 0.2  # of the customers without a purchase in the last LAPSED_DAYS
LAPSED_DAYS = 240
CHURN_REASONS = {
    "no_timely_help": 0.22,
    "inconvenience": 0.17,
    "unreliability": 0.14,
    "neglect": 0.2,
    "unprofessional_staff": 0.1,
    "other": 0.17,
}
CHURN_DESTINATIONS = {"competitor": 0.5, "left_category": 0.15, "moved_away": 0.1, "unknown": 0.25}


def _write_churn(*, seed: int, by: Actor, first_new: int) -> int:
    """A churn record for some of the customers who stopped buying, dated after their last order."""
    from django.db.models import Max

    from rapport.analytics.bulk import NewChurnRecord, churn_records_insert

    now = timezone.now()
    lapsed = list(
        Order.objects.filter(customer_id__gte=first_new)
        .values("customer_id")
        .annotate(last=Max("ordered_at"))
        .filter(last__lt=now - timezone.timedelta(days=LAPSED_DAYS))
        .order_by("customer_id")
        .values_list("customer_id", "last")
    )
    rng = np.random.default_rng(seed + 11)
    picked = [
        row for row, u in zip(lapsed, rng.random(len(lapsed)), strict=True) if u < CHURN_SHARE
    ]
    if not picked:
        return 0
    reasons = rng.choice(list(CHURN_REASONS), size=len(picked), p=list(CHURN_REASONS.values()))
    destinations = rng.choice(
        list(CHURN_DESTINATIONS), size=len(picked), p=list(CHURN_DESTINATIONS.values())
    )
    days_after = rng.integers(60, 200, size=len(picked))
    records = churn_records_insert(
        [
            NewChurnRecord(
                customer_id=customer_id,
                reason=str(reason),
                destination=str(destination),
                recorded_at=min(now, last + timezone.timedelta(days=int(after))),
            )
            for (customer_id, last), reason, destination, after in zip(
                picked, reasons, destinations, days_after, strict=True
            )
        ],
        by=by if by is not None else DEMO,
        note=HISTORY_NOTE,
        history_times=True,
    )
    return len(records)
