"""Issue 15's data set, loaded lean: N customers and exactly M order lines with COPY.

    createdb -h 127.0.0.1 -U postgres d15_bench
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/d15_bench .venv/bin/rapport migrate
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/d15_bench \\
        nice -n 5 .venv/bin/python bench/issue15_load.py --customers 1000000 --lines 10000000

What the duplicate search and the recommendations read, drawn by the demo's own generator in
chunks of 100,000 customers (the columns bench/dedupe_scale.py draws in memory):
`rapport.demo.people.draw_people` (names in Chinese characters, pinyin, Slovak and English; phones,
emails, addresses, consents, referrers) written through the customer file's writer
(`customers_insert`: search terms and a history row per customer), and
`rapport.demo.purchases.draw_orders` (the demo's repeat-purchase model and catalogue, the purchase
rate calibrated to M / N lines per customer, then trimmed or topped up to exactly M as
bench/generate.py does) written with one COPY per table and chunk, explicit ids, no per-order
history row. Left out, to be fast: organisations, conversations, the log, churn records
(bench/generate.py loads them, at 15–40 minutes per 100,000 customers). Secondary indexes and
constraints are dropped while loading and built once at the end. The database must be empty.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import argparse  # noqa: E402
import io  # noqa: E402

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

CHUNK = 100_000
ORDER_PREFIX = "BL"


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def copy_frame(table: str, frame: pl.DataFrame) -> None:
    """COPY a frame (its column names are the table's) as CSV."""
    from django.db import connection

    buffer = io.BytesIO()
    frame.write_csv(
        buffer, include_header=False, null_value="", datetime_format="%Y-%m-%d %H:%M:%S+00"
    )
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f'COPY "{table}" ({cols}) FROM STDIN WITH (FORMAT csv)'
    with connection.cursor() as cur, cur.cursor.copy(sql) as copy:
        copy.write(buffer.getvalue())


def cents(values: np.ndarray) -> pl.Series:
    """Integer cents as decimal text."""
    c = pl.Series(np.asarray(values, dtype=np.int64))
    return pl.select(
        pl.when(c < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        + (c.abs() // 100).cast(pl.String)
        + "."
        + (c.abs() % 100).cast(pl.String).str.zfill(2)
    ).to_series()


def when(unix: np.ndarray) -> pl.Series:
    return pl.Series((np.asarray(unix, dtype=np.int64) * 1000).astype("datetime64[ms]"))


def write_orders(o, *, first_customer: int, first_order: int, first_line: int, now: str) -> None:  # noqa: ANN001
    from django.conf import settings

    from rapport.sales.models import Order, OrderLine, Return

    n = len(o.person)
    ids = np.arange(first_order, first_order + n)
    copy_frame(
        Order._meta.db_table,
        pl.DataFrame(
            {
                "id": ids,
                "number": ORDER_PREFIX + pl.Series(ids).cast(pl.String).str.zfill(9),
                "customer_id": np.asarray(o.person, dtype=np.int64) + first_customer,
                "ordered_at": when(o.ordered_at),
                "status": np.asarray(o.status).astype(str),
                "channel": np.asarray(o.channel).astype(str),
                "promotion_code": np.asarray(o.promotion_code).astype(str),
                "currency": [settings.RAPPORT_CURRENCY] * n,
                "total": cents(o.total),
                "cost": cents(o.cost),
                "notes": [""] * n,
                "created_at": [now] * n,
                "updated_at": [now] * n,
                "version": np.ones(n, dtype=np.int64),
            }
        ),
    )
    k = len(o.line_order)
    copy_frame(
        OrderLine._meta.db_table,
        pl.DataFrame(
            {
                "id": np.arange(first_line, first_line + k),
                "order_id": np.asarray(o.line_order, dtype=np.int64) + first_order,
                "product_id": np.asarray(o.line_product, dtype=np.int64) + 1,
                "batch": [""] * k,
                "quantity": np.asarray(o.line_quantity, dtype=np.int64),
                "unit_price": cents(o.line_unit_price),
                "discount": cents(o.line_discount),
                "line_total": cents(o.line_total),
                "unit_cost": cents(o.line_unit_cost),
            }
        ),
    )
    r = len(o.return_line)
    if r:
        copy_frame(
            Return._meta.db_table,
            pl.DataFrame(
                {
                    "order_line_id": np.asarray(o.return_line, dtype=np.int64) + first_line,
                    "returned_at": when(o.return_at),
                    "quantity": np.asarray(o.return_quantity, dtype=np.int64),
                    "refund_amount": cents(o.return_refund),
                    "reason": list(o.return_reason),
                    "created_at": [now] * r,
                    "updated_at": [now] * r,
                }
            ),
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--lines", type=int, default=10_000_000)
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone
    from generate import (
        BENCH,
        Spec,
        build_indexes,
        calibrate,
        drop_indexes,
        exact_lines,
        secondary_indexes,
    )
    from generate import _finish as finish

    from rapport.customers.models import Customer
    from rapport.demo.catalogue import build_catalogue
    from rapport.demo.people import draw_people
    from rapport.demo.plan import demo_window
    from rapport.demo.purchases import draw_orders
    from rapport.demo.services import _write_customers, _write_products

    if Customer.objects.exists():
        sys.exit(f"{connection.settings_dict['NAME']} has customers: load into an empty database")
    started = time.perf_counter()
    tz = settings.TIME_ZONE
    spec = Spec(customers=args.customers, lines=args.lines, seed=args.seed)
    today = timezone.localdate()
    start, end = demo_window(today=today, years=spec.years)
    scale = calibrate(spec, today, tz, log)
    catalogue = build_catalogue(np.random.default_rng([spec.seed, 0]))
    with transaction.atomic():
        indexes = secondary_indexes()
        drop_indexes(indexes)
        product_ids = _write_products(SimpleNamespace(catalogue=catalogue), actor=BENCH, counts={})
    assert list(product_ids) == list(range(1, len(product_ids) + 1)), product_ids
    now = timezone.now()
    now_text = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S+00")
    customers = orders = lines = 0
    no_tags = {"person": [], "tag": []}
    while customers < spec.customers:
        chunk = customers // CHUNK
        n = min(CHUNK, spec.customers - customers)
        quota = spec.lines * (customers + n) // spec.customers - lines
        t0 = time.perf_counter()
        people = draw_people(
            n, seed=spec.seed, chunk=chunk, ordinal_offset=customers, start=start, end=end, tz=tz
        )
        o = draw_orders(
            people,
            catalogue,
            seed=spec.seed,
            chunk=chunk,
            start=start,
            end=end,
            now=now,
            tz=tz,
            organisation_of=np.full(n, -1, dtype=np.int64),
            rate_scale=scale,
        )
        exact_lines(
            o,
            quota,
            np.random.default_rng([spec.seed, chunk, 9]),
            catalogue.price_cents,
            catalogue.cost_cents,
        )
        t1 = time.perf_counter()
        with transaction.atomic():
            _write_customers(
                SimpleNamespace(people=people, tags=no_tags),
                actor=BENCH,
                counts={},
                first_customer_id=customers + 1,
            )
            t2 = time.perf_counter()
            write_orders(
                o,
                first_customer=customers + 1,
                first_order=orders + 1,
                first_line=lines + 1,
                now=now_text,
            )
        t3 = time.perf_counter()
        customers += n
        orders += len(o.person)
        lines += len(o.line_order)
        log(
            f"chunk {chunk + 1}: {customers:,} customers, {orders:,} orders, {lines:,} lines "
            f"(draw {t1 - t0:.0f} s, customers {t2 - t1:.0f} s, orders {t3 - t2:.0f} s)"
        )
    t = time.perf_counter()
    build_indexes(indexes, log)
    finish()
    log(f"indexes, sequences, VACUUM ANALYZE: {time.perf_counter() - t:.0f} s")
    log(
        f"done: {customers:,} customers, {orders:,} orders, {lines:,} lines "
        f"in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
