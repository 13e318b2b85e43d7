"""The benchmark data set: N customers and exactly M order lines, loaded fast into one database.

Drawn in chunks of 100,000 customers by the demo's generator (rapport.demo.plan, same realism),
then written through the apps' own bulk writers (the ones the page, the API, the importer and the
demo use: COPY on PostgreSQL, executemany on SQLite), in one transaction per chunk (on SQLite with
synchronous=OFF and foreign keys off while loading; secondary indexes are dropped during the load
and built once at the end). Customer ids are given explicitly, sequences are reset at the end. A small table `bench_dataset` records what was loaded, so a later run reuses a complete
data set of the right size, and the benchmark only ever wipes data it loaded itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from rapport.analytics.models import ChurnRecord
from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.actors import SystemActor
from rapport.core.models import ObjectChange
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerEvent,
    CustomerPhone,
    CustomerSearchTerm,
    MarketingConsent,
    Organisation,
    OrganisationContact,
    Tag,
)
from rapport.demo.people import draw_people
from rapport.demo.plan import DemoData, demo_window, draw_demo
from rapport.demo.purchases import Orders, draw_orders
from rapport.demo.relations import draw_organisations
from rapport.demo.services import write_demo_data
from rapport.sales.models import Order, OrderLine, Product, Return

BENCH = SystemActor("bench")
CHUNK = int(os.environ.get("BENCH_CHUNK", "100000"))  # customers drawn and written at a time
MARKER = "bench_dataset"
FORMAT = 2  # bump when the generator changes what it loads (2: through the apps' writers)
LOADED_MODELS: list[type[models.Model]] = [
    Customer,
    CustomerPhone,
    CustomerEmail,
    CustomerAddress,
    MarketingConsent,
    CustomerSearchTerm,
    Customer.tags.through,
    Tag,
    Organisation,
    OrganisationContact,
    Product,
    Order,
    OrderLine,
    Return,
    Interaction,
    RememberedDetail,
    ObjectChange,
    CustomerEvent,
    ChurnRecord,
]


class NotOurs(Exception):
    """The database holds data this benchmark did not load: it refuses to touch it."""


@dataclass
class Spec:
    customers: int
    lines: int
    seed: int
    years: int = 2

    def as_dict(self) -> dict:
        return {
            "customers": self.customers,
            "lines": self.lines,
            "seed": self.seed,
            "years": self.years,
            "format": FORMAT,
        }


# The marker ----------------------------------------------------------------------------------


def _marker_exists() -> bool:
    return MARKER in connection.introspection.table_names()


def read_marker() -> dict | None:
    if not _marker_exists():
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT value FROM {MARKER} WHERE name = 'dataset'")  # noqa: S608
        row = cur.fetchone()
    return json.loads(row[0]) if row else {}


def write_marker(value: dict) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (name varchar(40) PRIMARY KEY, value text NOT NULL)"
        )
        cur.execute(f"DELETE FROM {MARKER} WHERE name = 'dataset'")  # noqa: S608
        cur.execute(
            f"INSERT INTO {MARKER} (name, value) VALUES ('dataset', %s)", [json.dumps(value)]
        )  # noqa: S608


def dataset_state(spec: Spec) -> str:
    """'ready' (reuse), 'resume' (our load of this spec, stopped part-way: carry on), 'ours' (our load of
    another spec: wipe, then load) or 'empty' (load)."""
    marker = read_marker()
    if marker is not None:
        same = marker.get("spec") == spec.as_dict()
        if same and marker.get("status") == "complete":
            if (
                Customer.objects.count() == spec.customers
                and OrderLine.objects.count() == spec.lines
            ):
                return "ready"
        elif same and marker.get("status") == "loading" and "offsets" in marker:
            return "resume"
        return "ours"
    if Customer.objects.exists() or Order.objects.exists() or Product.objects.exists():
        raise NotOurs(
            f"{connection.settings_dict['NAME']} holds customers the benchmark did not load; "
            "point the benchmark at a database of its own."
        )
    return "empty"


def wipe() -> None:
    """Empty the tables we load (only called when the marker says we loaded them)."""
    tables = [m._meta.db_table for m in LOADED_MODELS]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(tables):
                cur.execute(f"DELETE FROM {table}")  # noqa: S608


# Indexes -------------------------------------------------------------------------------------
# Building an index once over sorted data is many times faster than updating it row by row, so the
# load drops the secondary indexes and constraints of the big tables and builds them again at the
# end. Their definitions wait in the marker, so a run stopped in between is finished by the next.

BIG_MODELS = [m for m in LOADED_MODELS if m not in (Tag, Product)]


def secondary_indexes() -> list[list[str]]:
    """[kind, table, name, definition] of the big tables' indexes and constraints, primary keys aside."""
    tables = [m._meta.db_table for m in BIG_MODELS]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT c.contype, t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(%s) AND c.contype IN ('u', 'f') "
                "ORDER BY c.contype DESC, c.conname",
                [tables],
            )
            constraints = [list(r) for r in cur.fetchall()]
            cur.execute(
                "SELECT 'i', i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
                "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname) ORDER BY i.indexname",
                [tables],
            )
            return constraints + [list(r) for r in cur.fetchall()]
        placeholders = ", ".join("%s" for _ in tables)
        cur.execute(
            f"SELECT 'i', tbl_name, name, sql FROM sqlite_master WHERE type = 'index' "  # noqa: S608
            f"AND sql IS NOT NULL AND tbl_name IN ({placeholders}) ORDER BY name",
            tables,
        )
        return [list(r) for r in cur.fetchall()]


def drop_indexes(items: list[list[str]]) -> None:
    with connection.cursor() as cur:
        for kind, table, name, _definition in items:
            if kind == "i":
                cur.execute(f'DROP INDEX IF EXISTS "{name}"')
            else:
                cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')


def build_indexes(items: list[list[str]], log: Callable[[str], None]) -> None:
    """Unique constraints and indexes first, then foreign keys (which need the unique keys)."""
    order = {"u": 0, "i": 1, "f": 2}
    with connection.cursor() as cur:
        for kind, table, name, definition in sorted(items, key=lambda x: order[x[0]]):
            t = time.perf_counter()
            if kind == "i":
                cur.execute(
                    definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1).replace(
                        "CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX IF NOT EXISTS ", 1
                    )
                )
            else:
                cur.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
                if cur.fetchone() is None:
                    cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            log(f"built {name} ({time.perf_counter() - t:.0f} s)")


# Exactly M lines -----------------------------------------------------------------------------


def calibrate(spec: Spec, today, tz: str, log: Callable[[str], None]) -> float:
    """The purchase-rate scale that gives spec.lines / spec.customers lines per customer."""
    start, end = demo_window(today=today, years=spec.years)
    n = min(CHUNK, spec.customers)
    people = draw_people(n, seed=spec.seed, start=start, end=end, tz=tz)
    from rapport.demo.catalogue import build_catalogue

    catalogue = build_catalogue(np.random.default_rng([spec.seed, 0]))
    orgs = draw_organisations(people, seed=spec.seed)
    now = timezone.now()
    target = spec.lines / spec.customers
    scale, lo, hi = 1.0, None, None
    for _ in range(12):
        orders = draw_orders(
            people,
            catalogue,
            seed=spec.seed,
            start=start,
            end=end,
            now=now,
            tz=tz,
            organisation_of=orgs.organisation_of,
            rate_scale=scale,
        )
        got = len(orders.line_order) / n
        if abs(got / target - 1) < 0.01:
            break
        if got < target:
            lo = scale
            scale = scale * 2 if hi is None else (scale + hi) / 2
        else:
            hi = scale
            scale = scale / 2 if lo is None else (scale + lo) / 2
    log(f"purchase rate × {scale:.3f} gives {got:.2f} lines per customer (target {target:.2f})")
    return scale


def exact_lines(
    o: Orders, quota: int, rng: np.random.Generator, price: np.ndarray, cost: np.ndarray
) -> Orders:
    """Remove the last line of, or add a line to, randomly chosen orders until there are `quota`."""
    excess = len(o.line_order) - quota
    n_lines = np.bincount(o.line_order, minlength=len(o))
    if excess > 0:
        candidates = rng.permutation(np.flatnonzero(n_lines >= 2))[:excess]
        if len(candidates) < excess:
            raise RuntimeError("too many lines to trim; adjust the calibration")
        last = np.cumsum(n_lines) - 1
        drop = np.zeros(len(o.line_order), bool)
        drop[last[candidates]] = True
        np.subtract.at(o.total, o.line_order[drop], o.line_total[drop])
        np.subtract.at(o.cost, o.line_order[drop], o.line_quantity[drop] * o.line_unit_cost[drop])
        keep = ~drop
        new_index = np.cumsum(keep) - 1
        ret_keep = keep[o.return_line]
        o.return_line = new_index[o.return_line[ret_keep]]
        o.return_at, o.return_quantity = o.return_at[ret_keep], o.return_quantity[ret_keep]
        o.return_refund = o.return_refund[ret_keep]
        o.return_reason = [r for r, k in zip(o.return_reason, ret_keep, strict=True) if k]
        for name in (
            "line_order",
            "line_product",
            "line_quantity",
            "line_unit_price",
            "line_discount",
            "line_total",
            "line_unit_cost",
        ):
            setattr(o, name, getattr(o, name)[keep])
    elif excess < 0:
        grow = rng.permutation(np.flatnonzero(n_lines < 4))[:-excess]
        if len(grow) < -excess:
            raise RuntimeError("too few lines to fill; adjust the calibration")
        product = rng.integers(0, len(price), len(grow))
        add = {
            "line_order": grow,
            "line_product": product,
            "line_quantity": np.ones(len(grow), np.int64),
            "line_unit_price": price[product],
            "line_discount": np.zeros(len(grow), np.int64),
            "line_total": price[product],
            "line_unit_cost": cost[product],
        }
        order = np.argsort(np.concatenate([o.line_order, grow]), kind="stable")
        old_index = np.argsort(order)[: len(o.line_order)]  # where each old line lands
        for name, extra in add.items():
            setattr(o, name, np.concatenate([getattr(o, name), extra])[order])
        o.return_line = old_index[o.return_line]
        np.add.at(o.total, grow, price[product])
        np.add.at(o.cost, grow, cost[product])
    return o


# Loading -------------------------------------------------------------------------------------


@dataclass
class Offsets:
    customer: int = 0
    organisation: int = 0
    order: int = 0
    line: int = 0
    interaction: int = 0


def load(spec: Spec, log: Callable[[str], None]) -> dict[str, float]:
    """Draw and write the data set, chunk by chunk, carrying on where an earlier run stopped.

    Each chunk and the marker's progress commit together, so a run stopped at its time limit
    leaves whole chunks only. Returns timings.
    """
    tz = settings.TIME_ZONE
    started = time.perf_counter()
    marker = read_marker() or {}
    if (
        marker.get("status") == "loading"
        and marker.get("spec") == spec.as_dict()
        and "offsets" in marker
    ):
        scale, today = marker["scale"], date.fromisoformat(marker["today"])
        offsets = Offsets(**marker["offsets"])
        indexes = marker.get("indexes", [])
        log(f"carrying on after {offsets.customer:,} customers loaded earlier")
    else:
        today = timezone.localdate()
        scale = calibrate(spec, today, tz, log)
        offsets = Offsets()
        indexes = list(
            marker.get("indexes", [])
        )  # an earlier load of ours may have left some dropped
        with transaction.atomic():
            _progress(spec, scale, today, offsets, indexes)
    with transaction.atomic():
        more = secondary_indexes()
        drop_indexes(more)
        indexes += [x for x in more if x not in indexes]
        _progress(spec, scale, today, offsets, indexes)
    chunks = -(-spec.customers // CHUNK)
    draw_s = write_s = 0.0
    while offsets.customer < spec.customers:
        chunk = offsets.customer // CHUNK
        n = min(CHUNK, spec.customers - offsets.customer)
        quota = spec.lines * (offsets.customer + n) // spec.customers - offsets.line
        t0 = time.perf_counter()
        data = draw_demo(
            customers=n,
            seed=spec.seed,
            years=spec.years,
            today=today,
            tz=tz,
            chunk=chunk,
            ordinal_offset=offsets.customer,
            rate_scale=scale,
        )
        exact_lines(
            data.orders,
            quota,
            np.random.default_rng([spec.seed, chunk, 9]),
            data.catalogue.price_cents,
            data.catalogue.cost_cents,
        )
        t1 = time.perf_counter()
        with _fast_load(), transaction.atomic():
            _write_chunk(data, offsets)
            offsets.customer += n
            offsets.organisation += len(data.organisations)
            offsets.order += len(data.orders)
            offsets.line += len(data.orders.line_order)
            offsets.interaction += len(data.log)
            _progress(spec, scale, today, offsets, indexes)
        t2 = time.perf_counter()
        draw_s, write_s = draw_s + t1 - t0, write_s + t2 - t1
        log(
            f"chunk {chunk + 1}/{chunks}: {offsets.customer:,} customers, {offsets.line:,} lines "
            f"(draw {t1 - t0:.0f} s, write {t2 - t1:.0f} s)"
        )
    t3 = time.perf_counter()
    build_indexes(indexes, log)
    _finish()
    t4 = time.perf_counter()
    write_marker(
        {"status": "complete", "spec": spec.as_dict(), "loaded_at": datetime.now(UTC).isoformat()}
    )
    log(f"indexes, sequences and statistics: {t4 - t3:.0f} s")
    return {
        "draw_s": draw_s,
        "write_s": write_s,
        "finish_s": t4 - t3,
        "total_s": time.perf_counter() - started,
    }


def _progress(spec: Spec, scale: float, today: date, offsets: Offsets, indexes: list) -> None:
    write_marker(
        {
            "status": "loading",
            "spec": spec.as_dict(),
            "scale": scale,
            "today": today.isoformat(),
            "offsets": vars(offsets),
            "indexes": indexes,
        }
    )


class _fast_load:
    """SQLite: no fsync and no foreign-key checks while loading (the data is consistent by design)."""

    def __enter__(self):
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            raw = connection.connection
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("PRAGMA cache_size=-1000000")
        return self

    def __exit__(self, *exc):
        if connection.vendor == "sqlite":
            raw = connection.connection
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute("PRAGMA synchronous=NORMAL")
        return False


def _write_chunk(data: DemoData, off: Offsets) -> dict[str, int]:
    """Through the apps' own writers (rapport.demo.services.write_demo_data → customers.bulk,
    sales.bulk, communications.bulk): the rows the page, the API and the importer would write,
    history included. Customers get the ids offset + 1, offset + 2, … so that a referrer drawn in
    an earlier chunk is found by number."""
    return write_demo_data(data, by=BENCH, first_customer_id=off.customer + 1)


def _finish() -> None:
    """Sequences after explicit ids; fresh planner statistics, as autovacuum would leave them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), LOADED_MODELS):
                cur.execute(sql)
        with connection.cursor() as cur:  # autocommit: VACUUM cannot run in a transaction
            cur.execute("VACUUM ANALYZE")
