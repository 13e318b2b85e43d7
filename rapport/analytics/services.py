"""The analytics refresh (summary → fit → score → write → reports) and churn records.

The per-customer summary comes from ONE grouped query in the database (strategy "sql") or from the
order rows streamed into polars (strategy "polars"); every later step is vectorised (polars/numpy),
never a Python loop over customers. Definitions of every figure: docs/analytics.md.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import psycopg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.analytics import engine
from rapport.analytics.choices import (
    ChurnDestination,
    ChurnReason,
    ChurnRiskBand,
    ReportKind,
    Segment,
    SwitchingCostBand,
    TrustLevel,
)
from rapport.analytics.models import ChurnRecord, CustomerScore, ModelFit, Report
from rapport.core.choices import ChangeAction
from rapport.core.services import record_change

log = logging.getLogger(__name__)

# --- Rules, as data -------------------------------------------------------------------------

# Segment by R (rows, 5 = bought most recently) and F (columns, 1..5). An "at risk" customer
# whose M score is 5 is "can't lose" instead (see `assign_segments`).
S = Segment
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    #    F=1            F=2                    F=3                    F=4          F=5
    5: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    3: (S.HIBERNATING, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
}
CHURN_BANDS = (0.3, 0.7)  # churn risk < 0.3 low, < 0.7 medium, else high
DISSATISFIED_REFUND_SHARE = 0.2  # refunds above this share of revenue: not (yet) emotional trust
DISSATISFIED_BELOW = 3.5  # mean satisfaction (1–5) below this: not emotional trust
BEHAVIOURAL_MIN_DAYS, BEHAVIOURAL_MIN_TENURE, ACTIVE_WITHIN = 4, 365, 365
SWITCHING_BANDS = (1, 3)  # points <= 1 low, <= 3 medium, else high
RETENTION_WINDOW_DAYS = 365
HOLDOUT_WEEKS = 26
MIN_HOLDOUT_CUSTOMERS = 20
INTERVAL_BINS = (7, 14, 30, 60, 90, 180, 365)  # upper bounds in days; the last bin is 366+
STRATEGIES = ("auto", "sql", "polars")
COMPARISON_SAMPLE = 50_000  # Pareto/NBD and the holdout check run on at most this many customers
SAMPLE_SEED = 4
WORK_MEM = "512MB"  # PostgreSQL work_mem for the refresh's own session
_LOCK_KEY = 4_004_001  # PostgreSQL advisory lock: one refresh writes at a time

# --- Extension points -------------------------------------------------------------------------
# Other apps register sources here (in their AppConfig.ready). Each returns a polars frame.

# (end: aware datetime) -> customer_id, month (Date, first of month), amount: cost to serve.
CostToServeSource = Callable[[datetime], pl.DataFrame]
# (end) -> customer_id, satisfaction (mean answer on a 1–5 scale): gates emotional trust.
SatisfactionSource = Callable[[datetime], pl.DataFrame]
# (as_of: date) -> customer_id, points: membership level, points, active service commitments…
SwitchingCostSource = Callable[[date], pl.DataFrame]

COST_TO_SERVE_SOURCES: dict[str, CostToServeSource] = {}
SATISFACTION_SOURCES: dict[str, SatisfactionSource] = {}
SWITCHING_COST_SOURCES: dict[str, SwitchingCostSource] = {}


def register_cost_to_serve(kind: str, source: CostToServeSource) -> None:
    """Add a kind of cost to serve (complaint remedies, loyalty rewards) to every refresh."""
    COST_TO_SERVE_SOURCES[kind] = source


def register_satisfaction(name: str, source: SatisfactionSource) -> None:
    SATISFACTION_SOURCES[name] = source


def register_switching_cost(name: str, source: SwitchingCostSource) -> None:
    SWITCHING_COST_SOURCES[name] = source


# --- Reading the database into polars -----------------------------------------------------------
# PostgreSQL streams with binary COPY straight into numpy (fixed-width rows, no per-row Python);
# SQLite returns rows through the driver. Either way each table is read once per refresh.


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def _analytics_session() -> Iterator[None]:
    """PostgreSQL settings for the refresh's big reads and index builds: sorts and hashes in
    memory, no JIT compilation (it costs seconds and saves nothing on these plans)."""
    if not _is_postgres():
        yield
        return
    names = ("work_mem", "maintenance_work_mem", "jit")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
        before = cursor.fetchone()
        for name, value in zip(names, (WORK_MEM, WORK_MEM, "off"), strict=True):
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in zip(names, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


def _local_day_sql(column: str) -> str:
    """SQL for the local calendar day of an aware timestamp column (settings.TIME_ZONE)."""
    if _is_postgres():
        return f"({column} AT TIME ZONE %s)::date"
    return f"django_datetime_cast_date({column}, %s, 'UTC')"


def _end_of(as_of: date) -> datetime:
    """The first instant after `as_of` in the business's time zone."""
    return datetime.combine(
        as_of + timedelta(days=1), dtime.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


Field = tuple[str, str, str]  # output name, kind, SQL expression (never NULL)
# kinds: int8/int4/int2, float8, date, timestamptz, and cents/milli: a numeric read as a scaled
# bigint (PostgreSQL converts numeric to float8 through text, three times slower) and returned as
# float64 units.
_PG_BINARY = {
    "int8": ">i8",
    "int4": ">i4",
    "int2": ">i2",
    "float8": ">f8",
    "date": ">i4",
    "timestamptz": ">i8",
    "cents": ">i8",
    "milli": ">i8",
}
_PG_CAST = {"cents": "(({expr}) * 100)::int8", "milli": "(({expr}) * 1000)::int8"}
_SCALE = {"cents": 100.0, "milli": 1000.0}
_PG_EPOCH_DAYS = 10_957  # PostgreSQL counts from 2000-01-01, polars from 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400_000_000
_POLARS = {
    "int8": pl.Int64,
    "int4": pl.Int32,
    "int2": pl.Int16,
    "float8": pl.Float64,
    "cents": pl.Float64,
    "milli": pl.Float64,
}


def read_frame(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    """`SELECT <fields> <rest>` as a typed polars frame (dates as Date, timestamps as UTC)."""
    if _is_postgres():
        return _read_pg(fields, rest, params)
    return _read_sqlite(fields, rest, params)


def _read_pg(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    select = ", ".join(
        _PG_CAST.get(kind, "({expr})::" + kind).format(expr=expr) for _n, kind, expr in fields
    )
    query = connection.ops.compose_sql(f"SELECT {select} {rest}", params)
    data = _copy_out(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)")
    start = 19 + int.from_bytes(data[15:19], "big")  # signature, flags, header extension
    layout: list[tuple[str, str]] = [("n", ">i2")]
    for name, kind, _expr in fields:
        layout += [(f"{name}.size", ">i4"), (name, _PG_BINARY[kind])]
    dtype = np.dtype(layout)
    body_size = len(data) - start - 2  # the trailer is one int16
    if body_size % dtype.itemsize:
        raise ValueError("unexpected row layout in PostgreSQL's binary COPY (a NULL?)")
    rows = np.frombuffer(data, dtype=dtype, offset=start, count=body_size // dtype.itemsize)
    if len(rows) and (
        np.any(rows["n"] != len(fields))
        or any(
            np.any(rows[f"{name}.size"] != np.dtype(_PG_BINARY[kind]).itemsize)
            for name, kind, _expr in fields
        )
    ):
        raise ValueError("unexpected row layout in PostgreSQL's binary COPY (a NULL?)")
    columns = []
    for name, kind, _expr in fields:
        values = rows[name].astype(rows[name].dtype.newbyteorder("="))
        if kind == "date":
            columns.append(pl.Series(name, values + _PG_EPOCH_DAYS, dtype=pl.Int32).cast(pl.Date))
        elif kind == "timestamptz":
            columns.append(
                pl.Series(name, values + _PG_EPOCH_US, dtype=pl.Int64)
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone("UTC")
            )
        elif kind in _SCALE:
            columns.append(pl.Series(name, values / _SCALE[kind], dtype=pl.Float64))
        else:
            columns.append(pl.Series(name, values, dtype=_POLARS[kind]))
    return pl.DataFrame(columns)


def _copy_out(statement: str) -> bytearray:
    """The whole output of a `COPY … TO STDOUT`. PostgreSQL sends one message per row; psycopg's
    `Copy` iterator spends ~3 µs of Python per message, so this drives libpq directly (~0.9 µs)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    data = bytearray()
    pgconn.send_query(statement.encode())
    result = pgconn.get_result()
    if result is None or result.status != psycopg.pq.ExecStatus.COPY_OUT:
        _drain(pgconn)
        raise DatabaseError(_pq_error(result, pgconn))
    get = pgconn.get_copy_data
    while True:
        size, block = get(0)
        if size <= 0:
            break
        data += block
    error = _drain(pgconn)
    if error:
        raise DatabaseError(error)
    return data


def _drain(pgconn: Any) -> str:
    """Consume the remaining results of a command; the first error message, if any."""
    error = ""
    while (result := pgconn.get_result()) is not None:
        if result.status == psycopg.pq.ExecStatus.FATAL_ERROR and not error:
            error = _pq_error(result, pgconn)
    return error


def _pq_error(result: Any, pgconn: Any) -> str:
    message = result.error_message if result is not None else pgconn.error_message
    return (message or b"COPY failed").decode(errors="replace").strip()


def _read_sqlite(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    # CAST AS TEXT also keeps the driver from parsing every date into a Python object
    casts = {
        "float8": "REAL",
        "cents": "REAL",
        "milli": "REAL",
        "date": "TEXT",
        "timestamptz": "TEXT",
    }
    select = ", ".join(
        f"CAST(({expr}) AS {casts.get(kind, 'INTEGER')})" for _n, kind, expr in fields
    )
    schema = {
        name: (pl.String if kind in ("date", "timestamptz") else _POLARS[kind])
        for name, kind, _expr in fields
    }
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} {rest}", params)
        while rows := cursor.fetchmany(250_000):
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return frame.with_columns(
        *[pl.col(n).str.slice(0, 10).str.to_date() for n, k, _e in fields if k == "date"],
        *[
            pl.col(n).str.slice(0, 19).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
            for n, k, _e in fields
            if k == "timestamptz"
        ],
    )


def _local_day(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(settings.TIME_ZONE).dt.date()


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. (numpy 2.5's plain np.unique takes a hashing path that is 50×
    slower than sorting on 10^7 int64 keys.)"""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def index_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The position in `ids` (unique) of each value of `wanted`, or -1. A direct table when the
    ids are dense (auto-increment keys), binary search otherwise."""
    out = np.full(len(wanted), -1, dtype=np.int64)
    if not len(ids) or not len(wanted):
        return out
    top = int(ids.max())
    if ids.min() >= 0 and top <= 4 * len(ids) + 1_000_000:
        table = np.full(top + 1, -1, dtype=np.int64)
        table[ids] = np.arange(len(ids))
        ok = (wanted >= 0) & (wanted <= top)
        out[ok] = table[wanted[ok]]
        return out
    order = np.argsort(ids, kind="stable")
    pos = np.minimum(np.searchsorted(ids[order], wanted), len(ids) - 1)
    found = ids[order][pos] == wanted
    out[found] = order[pos[found]]
    return out


@dataclass
class History:
    """Everything a refresh reads, once: non-cancelled orders up to the observation end, their
    lines, their returns, the cost to serve, customers and products."""

    as_of: date
    orders: pl.DataFrame  # order_id, customer_id, day, total, cost, promo, refund
    lines: pl.DataFrame  # order_id, product_id, quantity, customer_id, day (of the order)
    returns: pl.DataFrame  # order_id, product_id, returned, refund, customer_id, day (of the order)
    service_cost: pl.DataFrame  # customer_id, month, kind, amount
    customers: (
        pl.DataFrame
    )  # customer_id, customer_since, referred_by_id, was_referred, referrals_made
    products: pl.DataFrame  # product_id, category, category_code (0 = none)


def read_history(*, as_of: date) -> History:
    """Read the order history up to `as_of` (inclusive, in the business's time zone). Only the
    columns the analyses use are read: every numeric column costs PostgreSQL a conversion."""
    end = _end_of(as_of)
    orders = read_orders(as_of=as_of)
    lines = read_frame(
        [
            ("order_id", "int8", "l.order_id"),
            ("product_id", "int8", "l.product_id"),
            ("quantity", "milli", "l.quantity"),
        ],
        "FROM sales_orderline l",
        [],
    )
    returns = read_frame(
        [
            ("order_id", "int8", "l.order_id"),
            ("product_id", "int8", "l.product_id"),
            ("returned_at", "timestamptz", "r.returned_at"),
            ("returned", "milli", "r.quantity"),
            ("refund", "cents", "r.refund_amount"),
        ],
        "FROM sales_return r JOIN sales_orderline l ON l.id = r.order_line_id "
        "WHERE r.returned_at < %s",
        [end],
    )
    customers = read_frame(
        [
            ("customer_id", "int8", "c.id"),
            ("customer_since", "date", "COALESCE(c.customer_since, '9999-12-31')"),
            ("referred_by_id", "int8", "COALESCE(c.referred_by_id, 0)"),
        ],
        "FROM customers_customer c",
        [],
    )
    return assemble_history(as_of, orders, lines, returns, customers, _products())


def read_orders(*, as_of: date) -> pl.DataFrame:
    """Non-cancelled orders up to `as_of`: order_id, customer_id, day (local), total, cost, promo."""
    orders = read_frame(
        [
            ("order_id", "int8", "o.id"),
            ("customer_id", "int8", "o.customer_id"),
            ("ordered_at", "timestamptz", "o.ordered_at"),
            ("total", "cents", "o.total"),
            ("cost", "cents", "o.cost"),
            ("promo", "int2", "CASE WHEN o.promotion_code <> '' THEN 1 ELSE 0 END"),
        ],
        "FROM sales_order o WHERE o.status <> 'cancelled' AND o.ordered_at < %s",
        [_end_of(as_of)],
    )
    return orders.with_columns(_local_day("ordered_at").alias("day")).drop("ordered_at")


def read_refunds(*, as_of: date) -> pl.DataFrame:
    """order_id, refund: refunds up to `as_of` per order (for a summary without the lines)."""
    rest = f"FROM ({_REFUNDS_BY_ORDER}) f"  # noqa: S608 - fixed SQL
    return read_frame(
        [("order_id", "int8", "f.order_id"), ("refund", "cents", "f.refund")],
        rest,
        [_end_of(as_of)],
    )


def _products() -> pl.DataFrame:
    from rapport.sales.models import Product

    rows = list(Product.objects.values_list("id", "category"))
    frame = pl.DataFrame(rows, orient="row", schema={"product_id": pl.Int64, "category": pl.String})
    code = pl.when(pl.col("category") != "").then(pl.col("category").rank("dense")).otherwise(0)
    return frame.with_columns(code.cast(pl.Int64).alias("category_code"))


def assemble_history(
    as_of: date,
    orders: pl.DataFrame,
    lines: pl.DataFrame,
    returns: pl.DataFrame,
    customers: pl.DataFrame,
    products: pl.DataFrame,
) -> History:
    """Tie the tables together with array lookups: lines and returns of valid orders only (with
    the order's customer and day), refunds per order, refunds as a cost to serve."""
    order_ids = orders["order_id"].to_numpy()

    def of_valid_orders(frame: pl.DataFrame) -> tuple[pl.DataFrame, np.ndarray]:
        at = index_of(order_ids, frame["order_id"].to_numpy())
        keep = at >= 0
        at = at[keep]
        return frame.filter(pl.Series(keep)).with_columns(
            orders["customer_id"].gather(at), orders["day"].gather(at)
        ), at

    lines, _at = of_valid_orders(lines)
    returns, at = of_valid_orders(returns)
    orders = orders.with_columns(
        pl.Series("refund", np.bincount(at, returns["refund"].to_numpy(), minlength=orders.height))
    )
    cost = returns.select(
        "customer_id",
        _local_day("returned_at").dt.truncate("1mo").alias("month"),
        pl.lit("returns").alias("kind"),
        pl.col("refund").alias("amount"),
    )
    extra = [
        source(_end_of(as_of)).select(
            pl.col("customer_id").cast(pl.Int64),
            pl.col("month").cast(pl.Date),
            pl.lit(kind).alias("kind"),
            pl.col("amount").cast(pl.Float64),
        )
        for kind, source in COST_TO_SERVE_SOURCES.items()
    ]
    made = (
        customers.filter(pl.col("referred_by_id") != 0)
        .group_by(pl.col("referred_by_id").alias("customer_id"))
        .agg(pl.len().cast(pl.Int64).alias("referrals_made"))
    )
    customers = customers.join(made, on="customer_id", how="left").with_columns(
        pl.when(pl.col("customer_since") < date(9999, 12, 31)).then(pl.col("customer_since")),
        (pl.col("referred_by_id") != 0).alias("was_referred"),
        pl.col("referrals_made").fill_null(0),
    )
    return History(
        as_of=as_of,
        orders=orders,
        lines=lines,
        returns=returns.drop("returned_at"),
        service_cost=pl.concat([cost, *extra]),
        customers=customers,
        products=products,
    )


_REFUNDS_BY_ORDER = """
    SELECT l.order_id, SUM(r.refund_amount) AS refund
    FROM sales_return r JOIN sales_orderline l ON l.id = r.order_line_id
    WHERE r.returned_at < %s
    GROUP BY l.order_id
"""

SUMMARY_SCHEMA = {
    "customer_id": pl.Int64,
    "first_day": pl.Date,
    "last_day": pl.Date,
    "orders": pl.Int64,
    "purchase_days": pl.Int64,
    "revenue": pl.Float64,
    "cost": pl.Float64,
    "refund": pl.Float64,
    "value": pl.Float64,
    "first_value": pl.Float64,
    "cal_days": pl.Int64,
    "cal_last": pl.Date,
    "cal_value": pl.Float64,
}


def summary_sql(*, as_of: date, calibration_end: date) -> pl.DataFrame:
    """Per-customer purchase summary in ONE grouped query: orders → purchase days → customers.

    A purchase day's value is its orders' totals less the refunds on those orders, never below 0.
    Cancelled orders are left out. `cal_*` columns restrict to days on or before calibration_end.
    (The refresh's other strategy, `summary_polars`, gives the same frame from streamed rows.)
    """
    day = _local_day_sql("o.ordered_at")
    end, cal = _end_of(as_of), calibration_end.isoformat()
    rest = f"""
        FROM (
            SELECT customer_id, d, n, revenue, cost, refund,
                   CASE WHEN revenue - refund > 0 THEN revenue - refund ELSE 0 END AS v,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY d) AS rn
            FROM (
                SELECT o.customer_id, {day} AS d, COUNT(*) AS n, SUM(o.total) AS revenue,
                       SUM(o.cost) AS cost, SUM(COALESCE(f.refund, 0)) AS refund
                FROM sales_order o LEFT JOIN ({_REFUNDS_BY_ORDER}) f ON f.order_id = o.id
                WHERE o.status <> 'cancelled' AND o.ordered_at < %s
                GROUP BY 1, 2
            ) days
        ) valued
        GROUP BY customer_id
    """  # noqa: S608 - fixed SQL; values are bound parameters
    frame = read_frame(
        [
            ("customer_id", "int8", "customer_id"),
            ("first_day", "date", "MIN(d)"),
            ("last_day", "date", "MAX(d)"),
            ("orders", "int8", "SUM(n)"),
            ("purchase_days", "int8", "COUNT(*)"),
            ("revenue", "cents", "SUM(revenue)"),
            ("cost", "cents", "SUM(cost)"),
            ("refund", "cents", "SUM(refund)"),
            ("value", "cents", "SUM(v)"),
            ("first_value", "cents", "SUM(CASE WHEN rn = 1 THEN v ELSE 0 END)"),
            ("cal_days", "int8", "SUM(CASE WHEN d <= %s THEN 1 ELSE 0 END)"),
            ("cal_last", "date", "COALESCE(MAX(CASE WHEN d <= %s THEN d END), '9999-12-31')"),
            ("cal_value", "cents", "SUM(CASE WHEN d <= %s THEN v ELSE 0 END)"),
        ],
        rest,
        [cal, cal, cal, settings.TIME_ZONE, end, end],
    )
    return _null_cal_last(frame).sort("customer_id")


def _null_cal_last(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("cal_days") > 0).then(pl.col("cal_last")).alias("cal_last")
    )


def purchase_days(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders collapsed to (customer, day), sorted: n, revenue, cost, refund, promo (any order
    with a code) and the netted value v = max(revenue − refund, 0). One sort, then aggregation
    over sorted runs (no hashing)."""
    key = pl.col("customer_id") * 2**20 + (pl.col("day") - pl.lit(date(2000, 1, 1))).dt.total_days()
    return (
        orders.select(key.alias("k"), "customer_id", "day", "total", "cost", "refund", "promo")
        .sort("k")
        .group_by("k", maintain_order=True)
        .agg(
            pl.col("customer_id").first(),
            pl.col("day").first(),
            pl.len().alias("n"),
            pl.col("total").sum().alias("revenue"),
            pl.col("cost").sum(),
            pl.col("refund").sum(),
            pl.col("promo").max(),
        )
        .drop("k")
        .with_columns(
            (pl.col("revenue") - pl.col("refund")).clip(lower_bound=0.0).alias("v"),
            pl.col("customer_id").set_sorted(),
        )
    )


def summary_polars(
    *, orders: pl.DataFrame, calibration_end: date, days: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The same summary as `summary_sql`, aggregated in polars from the orders of a History."""
    days = purchase_days(orders) if days is None else days
    cal = pl.col("day") <= calibration_end
    return _null_cal_last(
        days.group_by("customer_id", maintain_order=True)
        .agg(
            pl.col("day").first().alias("first_day"),
            pl.col("day").last().alias("last_day"),
            pl.col("n").sum().alias("orders"),
            pl.len().alias("purchase_days"),
            pl.col("revenue").sum(),
            pl.col("cost").sum(),
            pl.col("refund").sum(),
            pl.col("v").sum().alias("value"),
            pl.col("v").first().alias("first_value"),
            cal.sum().alias("cal_days"),
            pl.col("day").filter(cal).last().alias("cal_last"),
            pl.col("v").filter(cal).sum().alias("cal_value"),
        )
        .with_columns(pl.col("orders", "purchase_days", "cal_days").cast(pl.Int64))
        .select(list(SUMMARY_SCHEMA))
    )


def categories_held(history: History, *, until: date | None = None) -> pl.DataFrame:
    """customer_id, categories_held: distinct product categories bought (up to `until`)."""
    lines = history.lines if until is None else history.lines.filter(pl.col("day") <= until)
    products = history.products
    code = np.zeros(len(lines), dtype=np.int64)
    at = index_of(products["product_id"].to_numpy(), lines["product_id"].to_numpy())
    code[at >= 0] = products["category_code"].to_numpy()[at[at >= 0]]
    has = code > 0
    pairs = distinct(lines["customer_id"].to_numpy()[has] * 2**16 + code[has])
    customers, counts = np.unique(pairs >> 16, return_counts=True)
    return pl.DataFrame(
        {"customer_id": customers.astype(np.int64), "categories_held": counts.astype(np.int64)}
    )


def _extra(
    sources: dict[str, Callable[[Any], pl.DataFrame]], arg: Any, column: str, how: str
) -> pl.DataFrame:
    """customer_id, column: the registered sources combined (summed or averaged)."""
    parts = [
        s(arg).select(pl.col("customer_id").cast(pl.Int64), pl.col(column).cast(pl.Float64))
        for s in sources.values()
    ]
    if not parts:
        return pl.DataFrame(schema={"customer_id": pl.Int64, column: pl.Float64})
    agg = pl.col(column).sum() if how == "sum" else pl.col(column).mean()
    return pl.concat(parts).group_by("customer_id").agg(agg)


# --- From the summary to the models' inputs -----------------------------------------------------


def btyd_inputs(summary: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Add the buy-till-you-die inputs: frequency x, recency t_x and age T (weeks), monetary m_x
    (mean value of the repeat purchase days) and mean_value (mean value of all purchase days)."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("purchase_days") - 1
    return summary.with_columns(
        x.alias("frequency"),
        ((pl.col("last_day") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(as_of) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0)
        .then((pl.col("value") - pl.col("first_value")) / x)
        .otherwise(0.0)
        .alias("monetary"),
        (pl.col("value") / pl.col("purchase_days")).alias("mean_value"),
    )


def calibration_inputs(
    summary: pl.DataFrame, *, calibration_end: date, as_of: date
) -> pl.DataFrame:
    """The calibration/holdout frame the engine's `holdout_comparison` takes."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("cal_days") - 1
    return summary.filter(pl.col("cal_days") > 0).select(
        "customer_id",
        x.alias("frequency"),
        ((pl.col("cal_last") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(calibration_end) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0)
        .then((pl.col("cal_value") - pl.col("first_value")) / x)
        .otherwise(0.0)
        .alias("monetary"),
        (pl.col("purchase_days") - pl.col("cal_days")).alias("frequency_holdout"),
        pl.lit((as_of - calibration_end).days / week).alias("duration_holdout"),
    )


# --- Fitting ----------------------------------------------------------------------------------


@dataclass
class Fits:
    bgnbd: engine.BGNBDFit
    pareto_nbd: engine.ParetoNBDFit | None
    gamma_gamma: engine.GammaGammaFit | None
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)  # log-likelihoods on one sample


def _finite(value: Any) -> Any:
    """JSON-safe: NaN and ±inf become None (PostgreSQL's jsonb rejects them)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def fit_json(fit: engine.FitResult | None, note: str = "") -> dict[str, Any]:
    """A fit as stored in ModelFit: parameters, SEs, log-likelihood, convergence (and notes)."""
    if fit is None:
        return {"error": note} if note else {}
    return _finite(
        {
            "params": fit.params,
            "standard_errors": fit.standard_errors,
            "log_likelihood": fit.log_likelihood,
            "converged": fit.converged,
            "method": fit.method,
            "customers": fit.n_customers,
            "distinct_rows": fit.n_rows,
            **({"notes": note} if note else {}),
        }
    )


def _sample(frame: pl.DataFrame, size: int) -> pl.DataFrame:
    """At most `size` rows, drawn at random with a fixed seed (the same customers every time)."""
    return frame if frame.height <= size else frame.sample(size, seed=SAMPLE_SEED)


def fit_models(inputs: pl.DataFrame) -> Fits:
    """BG/NBD and Gamma-Gamma (when usable) on every customer; Pareto/NBD, for the comparison, on
    a random sample of at most COMPARISON_SAMPLE customers (its fit costs ten times BG/NBD's)."""
    x, t_x, T = inputs["frequency"], inputs["recency"], inputs["T"]
    notes: list[str] = []
    bg = engine.bgnbd.fit(x, t_x, T)
    if not bg.converged:
        notes.append("BG/NBD did not converge: the history has too little repeat buying.")
    gg = None
    try:
        gg = engine.gammagamma.fit(x, inputs["monetary"])
        if gg.params["q"] <= 1:  # E[M] = p (γ + x m) / (p x + q − 1) needs q > 1
            notes.append("Gamma-Gamma q <= 1: customers' own averages are used instead.")
            gg = None
        elif not gg.converged:
            notes.append("Gamma-Gamma did not converge.")
    except ValueError as exc:
        notes.append(f"Gamma-Gamma: {exc}")
    fits = Fits(bgnbd=bg, pareto_nbd=None, gamma_gamma=gg, notes=notes)
    sample = _sample(inputs, COMPARISON_SAMPLE)
    try:
        fits.pareto_nbd = engine.paretonbd.fit(sample["frequency"], sample["recency"], sample["T"])
    except (ValueError, FloatingPointError) as exc:
        notes.append(f"Pareto/NBD: {exc}")
        return fits
    fits.comparison = {"customers": sample.height, "pareto_nbd": fits.pareto_nbd.log_likelihood}
    fits.comparison["bgnbd"] = (
        bg
        if sample.height == inputs.height
        else engine.bgnbd.fit(sample["frequency"], sample["recency"], sample["T"])
    ).log_likelihood
    return fits


def holdout_check(summary: pl.DataFrame, *, calibration_end: date, as_of: date) -> dict[str, Any]:
    """Fit on the calibration period, predict the holdout period, compare with what happened —
    on a random sample of at most COMPARISON_SAMPLE of the customers first seen by then."""
    cal = _sample(
        calibration_inputs(summary, calibration_end=calibration_end, as_of=as_of), COMPARISON_SAMPLE
    )
    out: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "holdout_weeks": (as_of - calibration_end).days / engine.summary.DAYS_PER_WEEK,
        "customers": cal.height,
    }
    if cal.height < MIN_HOLDOUT_CUSTOMERS or not cal["frequency"].sum():
        out["error"] = "too few customers with repeat purchases before the calibration end"
        return out
    x, t_x, T = cal["frequency"], cal["recency"], cal["T"]
    models: list[tuple[str, Any]] = [("bgnbd", engine.bgnbd.fit(x, t_x, T))]
    with suppress(ValueError, FloatingPointError):
        models.append(("pareto_nbd", engine.paretonbd.fit(x, t_x, T)))
    for name, model in models:
        comparison = engine.holdout_comparison(cal, model)
        predicted, actual = comparison.per_customer["predicted"], comparison.per_customer["actual"]
        error = predicted - actual
        out[name] = _finite(
            {
                "params": model.params,
                "total_predicted": comparison.total_predicted,
                "total_actual": comparison.total_actual,
                "mean_absolute_error": float(error.abs().mean()),
                "rmse": float((error**2).mean() ** 0.5),
                "correlation": float(np.corrcoef(predicted, actual)[0, 1])
                if cal.height > 1 and actual.std() and predicted.std()
                else None,
                "chart": comparison.chart_data(),
            }
        )
    return out


# --- Scoring ----------------------------------------------------------------------------------


def _quintile(column: pl.Expr, n: int) -> pl.Expr:
    """1 + ⌊5 × share of customers with a strictly lower value⌋: ties get the same score."""
    return (1 + (5 * (column.rank("min") - 1) / max(n, 1)).floor()).clip(1, 5).cast(pl.Int16)


def assign_rfm(frame: pl.DataFrame) -> pl.DataFrame:
    """r/f/m quintile scores: recency (fewer days since the last purchase is better), frequency
    (purchase days) and monetary (net spend)."""
    n = frame.height
    return frame.with_columns(
        _quintile(-pl.col("recency_days"), n).alias("r_score"),
        _quintile(pl.col("purchase_days"), n).alias("f_score"),
        _quintile(pl.col("monetary_total"), n).alias("m_score"),
    )


def assign_segments(frame: pl.DataFrame) -> pl.DataFrame:
    """The named segment from SEGMENT_GRID[r][f]; at risk with M = 5 becomes can't lose."""
    lookup = {r * 10 + f: str(row[f - 1]) for r, row in SEGMENT_GRID.items() for f in range(1, 6)}
    cell = (pl.col("r_score") * 10 + pl.col("f_score")).cast(pl.Int64)
    segment = cell.replace_strict(lookup, return_dtype=pl.String)
    return frame.with_columns(
        pl.when((segment == str(S.AT_RISK)) & (pl.col("m_score") == 5))
        .then(pl.lit(str(S.CANT_LOSE)))
        .otherwise(segment)
        .alias("segment")
    )


def _band(
    column: pl.Expr,
    cuts: tuple[float, float],
    labels: tuple[str, str, str],
    inclusive: bool = False,
) -> pl.Expr:
    low = column <= cuts[0] if inclusive else column < cuts[0]
    mid = column <= cuts[1] if inclusive else column < cuts[1]
    return (
        pl.when(low)
        .then(pl.lit(labels[0]))
        .when(mid)
        .then(pl.lit(labels[1]))
        .otherwise(pl.lit(labels[2]))
    )


def trust_expr() -> pl.Expr:
    """Trust level from purchase days, tenure, recency, refunds and (when known) satisfaction."""
    dissatisfied = (pl.col("cost_to_serve") > DISSATISFIED_REFUND_SHARE * pl.col("revenue")) | (
        pl.col("satisfaction").fill_null(5.0) < DISSATISFIED_BELOW
    )
    behavioural = (
        (pl.col("purchase_days") >= BEHAVIOURAL_MIN_DAYS)
        & (pl.col("tenure_days") >= BEHAVIOURAL_MIN_TENURE)
        & (pl.col("recency_days") <= ACTIVE_WITHIN)
    )
    return (
        pl.when(~dissatisfied & behavioural)
        .then(pl.lit(str(TrustLevel.BEHAVIOURAL)))
        .when(~dissatisfied & (pl.col("purchase_days") >= 2))
        .then(pl.lit(str(TrustLevel.EMOTIONAL)))
        .otherwise(pl.lit(str(TrustLevel.COGNITIVE)))
    )


def switching_points() -> pl.Expr:
    """Points that tie a customer to us: tenure (1 y, 3 y), categories held (2, 4), referrals
    made, came by referral, plus points from registered sources (membership, commitments)."""
    return (
        (pl.col("tenure_days") >= 365).cast(pl.Int16)
        + (pl.col("tenure_days") >= 1095).cast(pl.Int16)
        + (pl.col("categories_held") >= 2).cast(pl.Int16)
        + (pl.col("categories_held") >= 4).cast(pl.Int16)
        + (pl.col("referrals_made") >= 1).cast(pl.Int16)
        + pl.col("was_referred").cast(pl.Int16)
        + pl.col("extra_points").fill_null(0).round().cast(pl.Int16)
    ).clip(0, 32767)


def _finite_scores(
    scored: pl.DataFrame,
    inputs: pl.DataFrame,
    fits: Fits,
    *,
    horizon_weeks: float,
    discount_rate: float,
) -> pl.DataFrame:
    """Rows where the models give no finite number (parameters at the edge of their range, e.g. a
    history without heterogeneity) fall back to the customer's own purchase rate × P(alive); the
    fit's notes say how many."""
    rate = pl.when(pl.col("T") > 0).then(pl.col("frequency") / pl.col("T")).otherwise(0.0)
    alive = pl.when(pl.col("p_alive").is_finite()).then(pl.col("p_alive")).otherwise(1.0)
    value = (
        pl.when(pl.col("expected_avg_value").is_finite())
        .then(pl.col("expected_avg_value"))
        .otherwise(pl.col("mean_value"))
    )
    naive = rate * horizon_weeks * alive
    discount = (1.0 + discount_rate) ** (-horizon_weeks / 2 / engine.clv.WEEKS_PER_YEAR)
    bad = ~(pl.col("expected_purchases").is_finite() & pl.col("clv").is_finite())
    out = scored.join(
        inputs.select("customer_id", "frequency", "T", "mean_value"), on="customer_id"
    )
    n_bad = out.select(bad.sum()).item()
    if n_bad:
        fits.notes.append(
            f"{n_bad} customers scored with their own purchase rate: the model "
            "gave no finite forecast for them."
        )
    return out.with_columns(
        alive.alias("p_alive"),
        value.alias("expected_avg_value"),
        pl.when(bad)
        .then(naive)
        .otherwise(pl.col("expected_purchases"))
        .alias("expected_purchases"),
        pl.when(bad).then(naive * value * discount).otherwise(pl.col("clv")).alias("clv"),
    ).select(scored.columns)


SWITCHING_LABELS = (
    str(SwitchingCostBand.LOW),
    str(SwitchingCostBand.MEDIUM),
    str(SwitchingCostBand.HIGH),
)


def score_customers(
    inputs: pl.DataFrame,
    fits: Fits,
    *,
    as_of: date,
    horizon_weeks: float,
    discount_rate: float,
    facts: pl.DataFrame,
    categories: pl.DataFrame,
    service_cost: pl.DataFrame,
    satisfaction: pl.DataFrame,
    extra_points: pl.DataFrame,
) -> pl.DataFrame:
    """Every customer's score row (the CustomerScore columns), computed column-wise."""
    btyd = inputs.select("customer_id", "frequency", "recency", "T", "monetary")
    if fits.gamma_gamma is None:  # no spend model: each customer's own mean purchase value
        btyd = btyd.with_columns(inputs["mean_value"].alias("monetary"))
    scored = engine.score(
        btyd,
        fits.bgnbd,
        fits.gamma_gamma,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=discount_rate,
    ).select("customer_id", "p_alive", "expected_purchases", "expected_avg_value", "clv")
    scored = _finite_scores(
        scored, inputs, fits, horizon_weeks=horizon_weeks, discount_rate=discount_rate
    )
    serve = service_cost.group_by("customer_id").agg(pl.col("amount").sum().alias("cost_to_serve"))
    frame = (
        inputs.join(scored, on="customer_id", how="left")
        .join(facts, on="customer_id", how="left")
        .join(categories, on="customer_id", how="left")
        .join(serve, on="customer_id", how="left")
        .join(satisfaction, on="customer_id", how="left")
        .join(extra_points.rename({"points": "extra_points"}), on="customer_id", how="left")
        .with_columns(
            pl.col("categories_held", "referrals_made").fill_null(0),
            pl.col("was_referred").fill_null(False),
            pl.col("cost_to_serve").fill_null(0.0),
            (pl.lit(as_of) - pl.col("last_day")).dt.total_days().alias("recency_days"),
            pl.col("value").alias("monetary_total"),
            (pl.lit(as_of) - pl.min_horizontal("first_day", "customer_since"))
            .dt.total_days()
            .clip(lower_bound=0)
            .alias("tenure_days"),
            (1.0 - pl.col("p_alive")).clip(0.0, 1.0).alias("churn_risk"),
        )
    )
    frame = assign_segments(assign_rfm(frame))
    frame = frame.with_columns(
        _band(
            pl.col("churn_risk"),
            CHURN_BANDS,
            (str(ChurnRiskBand.LOW), str(ChurnRiskBand.MEDIUM), str(ChurnRiskBand.HIGH)),
        ).alias("churn_risk_band"),
        trust_expr().alias("trust_level"),
        switching_points().alias("switching_cost"),
        (pl.col("revenue") - pl.col("cost")).alias("gross_margin"),
    ).with_columns(
        _band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True).alias(
            "switching_cost_band"
        ),
        (pl.col("gross_margin") - pl.col("cost_to_serve")).alias("net_contribution"),
    )
    return frame.select(
        "customer_id",
        pl.col("first_day").alias("first_purchase"),
        pl.col("last_day").alias("last_purchase"),
        "orders",
        "purchase_days",
        "recency_days",
        pl.col("monetary_total").alias("monetary"),
        "r_score",
        "f_score",
        "m_score",
        "segment",
        "frequency",
        pl.col("recency").alias("recency_weeks"),
        pl.col("T").alias("age_weeks"),
        pl.col("monetary").alias("avg_repeat_value"),
        "p_alive",
        "expected_purchases",
        "expected_avg_value",
        "clv",
        "churn_risk",
        "churn_risk_band",
        "trust_level",
        "revenue",
        "gross_margin",
        "cost_to_serve",
        "net_contribution",
        "tenure_days",
        "categories_held",
        "referrals_made",
        "was_referred",
        "switching_cost",
        "switching_cost_band",
    )


# --- Writing ----------------------------------------------------------------------------------

SCORE_COLUMNS = [
    "customer_id",
    "first_purchase",
    "last_purchase",
    "orders",
    "purchase_days",
    "recency_days",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "avg_repeat_value",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv",
    "churn_risk",
    "churn_risk_band",
    "trust_level",
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
    "tenure_days",
    "categories_held",
    "referrals_made",
    "was_referred",
    "switching_cost",
    "switching_cost_band",
    "computed_at",
]
MONEY_COLUMNS = (
    "monetary",
    "avg_repeat_value",
    "expected_avg_value",
    "clv",
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
)


def _score_table(scores: pl.DataFrame, computed_at: datetime) -> pl.DataFrame:
    """The rows as the table stores them: money to cents, probabilities and weeks to six
    decimals (a smaller load), the timestamp as the database's text."""
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    return scores.with_columns(
        pl.col(*MONEY_COLUMNS).round(2),
        pl.col("p_alive", "expected_purchases", "churn_risk", "recency_weeks", "age_weeks").round(
            6
        ),
        pl.lit(str(stamp)).alias("computed_at"),
    ).select(SCORE_COLUMNS)


def write_scores(scores: pl.DataFrame, *, computed_at: datetime) -> None:
    """Replace every score row (customers no longer scored lose theirs). The caller holds the
    transaction. PostgreSQL: TRUNCATE and COPY, rebuilding the secondary indexes and foreign key
    once — readers wait for the commit; SQLite: one executemany upsert."""
    frame = _score_table(scores, computed_at)
    with connection.cursor() as cursor:
        if _is_postgres():
            _pg_replace(
                cursor, CustomerScore._meta.db_table, frame.drop("computed_at"), computed_at
            )
        else:
            _sqlite_upsert(cursor, CustomerScore._meta.db_table, frame, computed_at)


def _pg_replace(cursor: Any, table: str, frame: pl.DataFrame, computed_at: datetime) -> None:
    """TRUNCATE, COPY, then build the indexes and the foreign key once: 4× faster than an
    upsert that maintains them row by row (bench/ANALYTICS_REFRESH_DRAFT.md). The one
    computed_at comes in as the column's default for the load (not parsed a million times)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # Altering foreign keys needs no pending deferred checks in this transaction: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.conname = i.indexname)",
        [table, table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign = cursor.fetchall()
    qn = connection.ops.quote_name
    cursor.execute(f"TRUNCATE {qn(table)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {qn(name)}")
    for name, _definition in foreign:
        cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
    cursor.execute(
        f"ALTER TABLE {qn(table)} ALTER COLUMN computed_at SET DEFAULT %s", [computed_at]
    )
    with cursor.cursor.copy(
        f"COPY {qn(table)} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        for offset in range(0, frame.height, 200_000):
            copy.write(frame.slice(offset, 200_000).write_csv(include_header=False))
    cursor.execute(f"ALTER TABLE {qn(table)} ALTER COLUMN computed_at DROP DEFAULT")
    # a customer deleted since the read would fail the foreign key
    cursor.execute(
        f"DELETE FROM {qn(table)} t WHERE NOT EXISTS "  # noqa: S608 - fixed SQL
        "(SELECT 1 FROM customers_customer c WHERE c.id = t.customer_id)"
    )
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign:
        cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are deferred by default


def _sqlite_upsert(cursor: Any, table: str, frame: pl.DataFrame, computed_at: datetime) -> None:
    cols = ", ".join(SCORE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SCORE_COLUMNS[1:])
    rows = frame.with_columns(
        pl.col("first_purchase", "last_purchase").cast(pl.String),
        pl.col("was_referred").cast(pl.Int8),
    )
    marks = ", ".join(["%s"] * len(SCORE_COLUMNS))
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608 - fixed SQL
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"
    )
    for offset in range(0, rows.height, 100_000):
        cursor.executemany(sql, rows.slice(offset, 100_000).iter_rows())
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    cursor.execute(
        f"DELETE FROM {table} WHERE computed_at <> %s "  # noqa: S608 - fixed SQL
        "OR customer_id NOT IN (SELECT id FROM customers_customer)",
        [stamp],
    )


# --- The refresh ------------------------------------------------------------------------------


def _strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if strategy == "auto":  # measured in bench/analytics_refresh.py
        return "polars"
    return strategy


def analytics_refresh(
    *,
    as_of: date | None = None,
    horizon_weeks: int = 52,
    discount_rate: float = 0.10,
    strategy: str = "auto",
    holdout_weeks: int = HOLDOUT_WEEKS,
    reports: bool = True,
) -> ModelFit:
    """Recompute every customer's score and the dashboards' reports; returns the new ModelFit.

    Stages (seconds in ModelFit.stages): read (the order history, once), summary, fit (BG/NBD,
    Gamma-Gamma; Pareto/NBD and the holdout check on a sample), score, reports, write (one
    transaction).
    """
    started, clock = timezone.now(), time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 3)
        clock = now

    as_of = as_of or timezone.localdate()
    strategy = _strategy(strategy)
    calibration_end = as_of - timedelta(weeks=holdout_weeks)
    with _analytics_session():
        history = read_history(as_of=as_of)
        lap("read")
        days = purchase_days(history.orders)
        if strategy == "sql":
            summary = summary_sql(as_of=as_of, calibration_end=calibration_end)
        else:
            summary = summary_polars(
                orders=history.orders, calibration_end=calibration_end, days=days
            )
        lap("summary")

        inputs = btyd_inputs(summary, as_of=as_of)
        fits = fit_models(inputs) if inputs.height else None
        holdout = (
            holdout_check(summary, calibration_end=calibration_end, as_of=as_of)
            if inputs.height
            else {}
        )
        lap("fit")

        if fits is not None:
            end = _end_of(as_of)
            scores = score_customers(
                inputs,
                fits,
                as_of=as_of,
                horizon_weeks=horizon_weeks,
                discount_rate=discount_rate,
                facts=history.customers,
                categories=categories_held(history),
                service_cost=history.service_cost,
                satisfaction=_extra(SATISFACTION_SOURCES, end, "satisfaction", "mean"),
                extra_points=_extra(SWITCHING_COST_SOURCES, as_of, "points", "sum"),
            )
        else:
            scores = pl.DataFrame(schema=dict.fromkeys(SCORE_COLUMNS[:-1], pl.Float64))
        lap("score")

        built = build_reports(history, days, scores) if reports else {}
        lap("reports")

        computed_at = timezone.now()
        with transaction.atomic():
            write_scores(scores, computed_at=computed_at)
            fit = ModelFit.objects.create(
                as_of=as_of,
                horizon_weeks=horizon_weeks,
                discount_rate=discount_rate,
                started_at=started,
                computed_at=computed_at,
                duration_seconds=0.0,
                customers=scores.height,
                purchase_days=int(summary["purchase_days"].sum() or 0),
                summary_strategy=strategy,
                holdout=_finite(holdout),
                stages={},
                **_fit_fields(fits),
            )
            for kind, payload in built.items():
                Report.objects.update_or_create(
                    kind=kind,
                    defaults={"data": _finite(payload), "fit": fit, "computed_at": computed_at},
                )
        lap("write")
    fit.stages = stages
    fit.duration_seconds = round(sum(stages.values()), 3)
    ModelFit.objects.filter(pk=fit.pk).update(stages=stages, duration_seconds=fit.duration_seconds)
    log.info(
        "analytics refresh: %d customers in %.1f s %s", scores.height, fit.duration_seconds, stages
    )
    return fit


def _fit_fields(fits: Fits | None) -> dict[str, dict[str, Any]]:
    if fits is None:
        return {"bgnbd": {"error": "no purchases"}, "pareto_nbd": {}, "gamma_gamma": {}}
    notes = "; ".join(fits.notes)
    pareto = fit_json(fits.pareto_nbd, notes)
    if fits.pareto_nbd is not None:
        pareto["comparison"] = _finite(fits.comparison)
    return {
        "bgnbd": fit_json(fits.bgnbd, notes),
        "pareto_nbd": pareto,
        "gamma_gamma": fit_json(fits.gamma_gamma, "" if fits.gamma_gamma else notes),
    }


# --- Reports (aggregates the dashboards read) ---------------------------------------------------


def _columns(frame: pl.DataFrame) -> dict[str, list[Any]]:
    """A frame as {column: [values]} (dates as ISO text), the shape Report.data stores."""
    out = frame.with_columns(pl.col(pl.Date, pl.Enum, pl.Categorical).cast(pl.String))
    return {c: out[c].to_list() for c in out.columns}


def build_reports(
    history: History, days: pl.DataFrame, scores: pl.DataFrame
) -> dict[str, dict[str, Any]]:
    """Every report kind's payload, from the history the refresh read and the new scores."""
    if not scores.height:
        return dict.fromkeys(ReportKind.values, {})
    segments = scores.select("customer_id", "segment", "purchase_days")
    return {
        ReportKind.SCORES: scores_report(scores),
        ReportKind.COHORTS: cohorts_report(days),
        ReportKind.LOYALTY: loyalty_report(days, segments),
        ReportKind.PROFIT: profit_report(history.orders, history.service_cost, segments),
        ReportKind.PRODUCTS: products_report(history, days),
        ReportKind.PROMOTION: promotion_report(days),
        ReportKind.SWITCHING: switching_report(history, days),
    }


def product_names(ids: list[int]) -> pl.DataFrame:
    from rapport.sales.models import Product

    rows = Product.objects.filter(pk__in=ids).values_list("id", "sku", "name", "category")
    return pl.DataFrame(
        list(rows),
        orient="row",
        schema={"product_id": pl.Int64, "sku": pl.String, "name": pl.String, "category": pl.String},
    )


def _share_of_top(values: pl.Series, share: float = 0.2) -> float | None:
    """The share of the total that the top `share` of customers hold (None if total <= 0)."""
    total = float(values.sum())
    if values.len() == 0 or total <= 0:
        return None
    k = max(1, math.ceil(share * values.len()))
    return float(values.sort(descending=True).head(k).sum()) / total


def scores_report(scores: pl.DataFrame) -> dict[str, Any]:
    """Counts and sums by segment, the RFM grid, distributions, and the top-20 % profit share."""
    scores = scores.with_columns(  # small enums group far faster than strings
        pl.col("segment").cast(pl.Enum(Segment.values)),
        pl.col("churn_risk_band").cast(pl.Enum(ChurnRiskBand.values)),
        pl.col("trust_level").cast(pl.Enum(TrustLevel.values)),
        pl.col("switching_cost_band").cast(pl.Enum(SwitchingCostBand.values)),
    )
    by_segment = scores.group_by("segment").agg(
        pl.len().alias("customers"),
        pl.col("orders").sum(),
        (pl.col("purchase_days") >= 2).sum().alias("repeaters"),
        pl.col(
            "revenue",
            "monetary",
            "gross_margin",
            "cost_to_serve",
            "net_contribution",
            "clv",
            "p_alive",
            "expected_purchases",
        ).sum(),
    )
    grid = scores.group_by("r_score", "f_score", "segment").agg(
        pl.len().alias("customers"),
        pl.col("monetary").sum(),
        pl.col("clv").sum(),
    )
    alive_bin = (pl.col("p_alive") * 10).floor().clip(0, 9).cast(pl.Int64).alias("bin")
    p_alive = scores.group_by("segment", alive_bin).agg(pl.len().alias("customers"))

    def counts(column: str) -> dict[str, list[Any]]:
        return _columns(scores.group_by("segment", column).agg(pl.len().alias("customers")))

    pareto = [
        {
            "segment": "",
            "customers": scores.height,
            "profit_share": _share_of_top(scores["net_contribution"]),
            "revenue_share": _share_of_top(scores["revenue"]),
        }
    ] + [
        {
            "segment": seg,
            "customers": part.height,
            "profit_share": _share_of_top(part["net_contribution"]),
            "revenue_share": _share_of_top(part["revenue"]),
        }
        for (seg,), part in scores.group_by("segment")
    ]
    ranked = scores.select(pl.col("net_contribution").sort(descending=True)).with_row_index("i")
    deciles = (
        ranked.with_columns((pl.col("i") * 10 // max(scores.height, 1) + 1).alias("decile"))
        .group_by("decile")
        .agg(pl.len().alias("customers"), pl.col("net_contribution").sum())
    )
    return {
        "by_segment": _columns(by_segment),
        "rfm_grid": _columns(grid),
        "top_clv": _columns(_top(scores, "clv")),
        "top_profit": _columns(_top(scores, "net_contribution")),
        "p_alive": _columns(p_alive),
        "churn_risk": counts("churn_risk_band"),
        "trust": counts("trust_level"),
        "switching": counts("switching_cost_band"),
        "pareto": pareto,
        "deciles": _columns(deciles.sort("decile")),
    }


TOP_CUSTOMERS = 25


def _top(scores: pl.DataFrame, column: str) -> pl.DataFrame:
    """The TOP_CUSTOMERS customers by `column`, overall (group "") and within each segment."""
    keep = scores.select(
        "customer_id",
        "segment",
        "clv",
        "p_alive",
        "expected_purchases",
        "revenue",
        "net_contribution",
    )
    parts = [
        keep.top_k(TOP_CUSTOMERS, by=column)
        .sort(column, descending=True)
        .with_columns(pl.lit("").alias("group"))
    ]
    for segment in keep["segment"].unique().sort().to_list():
        part = keep.filter(pl.col("segment") == segment)
        parts.append(
            part.top_k(TOP_CUSTOMERS, by=column)
            .sort(column, descending=True)
            .with_columns(pl.lit(segment).alias("group"))
        )
    return pl.concat(parts).select("group", *keep.columns)


def _runs(keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal values in a sorted array."""
    return (
        np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
    )


def _month_index(day: pl.Series) -> np.ndarray:
    return (day.dt.year().cast(pl.Int64) * 12 + day.dt.month().cast(pl.Int64) - 1).to_numpy()


def _month_dates(index: np.ndarray) -> pl.Series:
    """Month indexes (year × 12 + month − 1) as the first day of each month."""
    frame = pl.DataFrame({"i": index.astype(np.int64)})
    return frame.select(
        pl.date((pl.col("i") // 12).cast(pl.Int32), (pl.col("i") % 12 + 1).cast(pl.Int8), 1).alias(
            "month"
        )
    ).to_series()


def _customer_runs(days: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(starts, sizes) of each customer's purchase days in the sorted `days` frame."""
    starts = _runs(days["customer_id"].to_numpy())
    return starts, np.diff(np.r_[starts, days.height])


def cohorts_report(days: pl.DataFrame) -> dict[str, Any]:
    """Customers active in each month since their first purchase month, per first-purchase month."""
    if not days.height:
        return {"cells": {}}
    customer, month = days["customer_id"].to_numpy(), _month_index(days["day"])
    fresh = np.r_[True, (customer[1:] != customer[:-1]) | (month[1:] != month[:-1])]
    customer, month = customer[fresh], month[fresh]  # each customer's distinct months, in order
    firsts = _runs(customer)
    cohort = np.repeat(month[firsts], np.diff(np.r_[firsts, len(month)]))
    base, offset = cohort.min(), month - cohort
    width = int(offset.max()) + 1
    counts = np.bincount((cohort - base) * width + offset)
    cell = np.flatnonzero(counts)
    frame = pl.DataFrame(
        {
            "cohort": _month_dates(cell // width + base),
            "offset": cell % width,
            "customers": counts[cell],
        }
    )
    return {"cells": _columns(frame)}


SEGMENT_CODES = {s: i for i, s in enumerate(Segment.values)}


def _segment_codes(segments: pl.DataFrame, customers: np.ndarray) -> np.ndarray:
    """Each customer's segment as an index into Segment.values (-1 if not scored)."""
    codes = segments["segment"].replace_strict(SEGMENT_CODES, return_dtype=pl.Int64).to_numpy()
    at = index_of(segments["customer_id"].to_numpy(), customers)
    return np.where(at >= 0, codes[np.maximum(at, 0)], -1)


def loyalty_report(days: pl.DataFrame, segments: pl.DataFrame) -> dict[str, Any]:
    """Days between consecutive purchase days: histogram and median, per segment."""
    customer = days["customer_id"].to_numpy()
    day = (days["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()
    same = customer[1:] == customer[:-1]
    gap, owner = np.diff(day)[same], customer[1:][same]
    seg = _segment_codes(segments, owner)
    bins = np.searchsorted(np.array(INTERVAL_BINS), gap, side="left")  # gap <= bound → that bin
    n_bins = len(INTERVAL_BINS) + 1
    counts = np.bincount((seg + 1) * n_bins + bins, minlength=(len(SEGMENT_CODES) + 1) * n_bins)
    histogram = [
        (Segment.values[s], b, int(counts[(s + 1) * n_bins + b]))
        for s in range(len(SEGMENT_CODES))
        for b in range(n_bins)
        if counts[(s + 1) * n_bins + b]
    ]
    medians = [
        (
            "",
            float(np.median(gap)) if len(gap) else None,
            float(gap.mean()) if len(gap) else None,
            len(gap),
        )
    ]
    for name, code in SEGMENT_CODES.items():
        part = gap[seg == code]
        if len(part):
            medians.append((name, float(np.median(part)), float(part.mean()), len(part)))
    return {
        "bins": list(INTERVAL_BINS),
        "histogram": {
            "segment": [h[0] for h in histogram],
            "bin": [h[1] for h in histogram],
            "intervals": [h[2] for h in histogram],
        },
        "medians": {
            "segment": [m[0] for m in medians],
            "median": [m[1] for m in medians],
            "mean": [m[2] for m in medians],
            "intervals": [m[3] for m in medians],
        },
    }


def profit_report(
    orders: pl.DataFrame, service_cost: pl.DataFrame, segments: pl.DataFrame
) -> dict[str, Any]:
    """Revenue, cost of goods, orders and buyers per (month, segment), and cost to serve per
    (month, segment, kind) — summed over any month range by the profit page."""
    seg = segments.select("customer_id", "segment")
    sales = (
        orders.join(seg, on="customer_id")
        .group_by(pl.col("day").dt.truncate("1mo").alias("month"), "segment")
        .agg(
            pl.col("total").sum().alias("revenue"),
            pl.col("cost").sum(),
            pl.len().alias("orders"),
            pl.col("customer_id").n_unique().alias("buyers"),
        )
        .sort("month", "segment")
    )
    service = (
        service_cost.join(seg, on="customer_id")
        .group_by("month", "segment", "kind")
        .agg(pl.col("amount").sum())
        .sort("month", "segment", "kind")
    )
    return {"sales": _columns(sales), "service": _columns(service)}


def products_report(
    history: History, days: pl.DataFrame, *, top_pairs: int = 200
) -> dict[str, Any]:
    """First products and repeat buying, returns per product and month, and products bought
    together (support, confidence, lift)."""
    lines = history.lines
    first = _first_products(lines, days)
    returns = _per_month_and_product(lines, history.returns)
    pairs = product_pairs(lines.select("order_id", "product_id"), top=top_pairs)
    ids = set(first["product_id"].to_list()) | set(returns["product_id"].to_list())
    ids |= set(pairs["a"].to_list()) | set(pairs["b"].to_list())
    return {
        "first_products": _columns(first),
        "returns": _columns(returns),
        "pairs": _columns(pairs),
        "orders": history.orders.height,
        "products": _columns(product_names(sorted(ids))),
    }


def _first_products(lines: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """Per (month of the first purchase, product bought that first day): first-time buyers and
    how many of them bought again on another day."""
    starts, sizes = _customer_runs(days)
    first_customer = days["customer_id"].to_numpy()[starts]
    first_day = (days["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()[starts]
    at = index_of(first_customer, lines["customer_id"].to_numpy())
    line_day = (lines["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()
    on_first = (at >= 0) & (line_day == first_day[np.maximum(at, 0)])
    key = distinct(
        lines["customer_id"].to_numpy()[on_first] * 2**24 + lines["product_id"].to_numpy()[on_first]
    )
    if not len(key):
        return pl.DataFrame(
            schema={
                "month": pl.Date,
                "product_id": pl.Int64,
                "first_buyers": pl.Int64,
                "repeaters": pl.Int64,
            }
        )
    who = index_of(first_customer, key >> 24)
    products = distinct(key & (2**24 - 1))
    product = np.searchsorted(products, key & (2**24 - 1))
    month = _month_index(days["day"].gather(starts))[who]
    base = month.min()
    cell = (month - base) * len(products) + product
    buyers = np.bincount(cell)
    repeaters = np.bincount(cell, (sizes[who] >= 2).astype(np.float64), minlength=len(buyers))
    used = np.flatnonzero(buyers)
    return pl.DataFrame(
        {
            "month": _month_dates(used // len(products) + base),
            "product_id": products[used % len(products)],
            "first_buyers": buyers[used],
            "repeaters": repeaters[used].astype(np.int64),
        }
    )


def _per_month_and_product(lines: pl.DataFrame, returns: pl.DataFrame) -> pl.DataFrame:
    """Lines and quantity sold, quantity returned, refunds and returns per (month of sale,
    product), summed with one bincount per figure."""
    if not lines.height:
        return pl.DataFrame(schema={"month": pl.Date, "product_id": pl.Int64, "lines": pl.Int64})
    products = distinct(np.r_[lines["product_id"].to_numpy(), returns["product_id"].to_numpy()])
    sold_month, back_month = _month_index(lines["day"]), _month_index(returns["day"])
    base = sold_month.min()

    def cells(frame: pl.DataFrame, month: np.ndarray) -> np.ndarray:
        return (month - base) * len(products) + np.searchsorted(
            products, frame["product_id"].to_numpy()
        )

    sold, back = cells(lines, sold_month), cells(returns, back_month)
    size = int(max(sold.max(), back.max() if len(back) else 0)) + 1
    count = np.bincount(sold, minlength=size)
    used = np.flatnonzero(count)
    return pl.DataFrame(
        {
            "month": _month_dates(used // len(products) + base),
            "product_id": products[used % len(products)],
            "lines": count[used],
            "quantity": np.bincount(sold, lines["quantity"].to_numpy(), minlength=size)[used],
            "returned": np.bincount(back, returns["returned"].to_numpy(), minlength=size)[used],
            "refund": np.bincount(back, returns["refund"].to_numpy(), minlength=size)[used],
            "returns": np.bincount(back, minlength=size)[used],
        }
    )


def product_pairs(items: pl.DataFrame, *, top: int = 200, max_basket: int = 30) -> pl.DataFrame:
    """Pairs of products in the same order (orders of 2..max_basket distinct products): orders
    together, support, confidence and lift; the `top` pairs by lift among those seen together in
    at least max(2, 0.001 % of orders) orders. Pairs are enumerated with array arithmetic."""
    key = distinct(items["order_id"].to_numpy() * 2**24 + items["product_id"].to_numpy())
    order, product = key >> 24, key & (2**24 - 1)
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    n_orders = len(starts)
    single_ids, single_counts = np.unique(product, return_counts=True)
    size_of = np.repeat(sizes, sizes)
    pos = np.arange(len(order)) - np.repeat(starts, sizes)  # position within the order
    partners = np.where((size_of >= 2) & (size_of <= max_basket), size_of - pos - 1, 0)
    first = np.repeat(np.arange(len(order)), partners)
    step = np.arange(len(first)) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    a, b = product[first], product[first + step]  # a < b: products are sorted within an order
    pair_keys, together = np.unique(a * 2**24 + b, return_counts=True)
    min_orders = max(2, math.ceil(n_orders * 1e-5))
    frequent = together >= min_orders
    pairs = pl.DataFrame(
        {
            "a": pair_keys[frequent] >> 24,
            "b": pair_keys[frequent] & (2**24 - 1),
            "together": together[frequent],
        }
    )
    single = pl.DataFrame({"product_id": single_ids, "orders": single_counts})
    n = max(n_orders, 1)
    return (
        pairs.join(single.rename({"product_id": "a", "orders": "orders_a"}), on="a")
        .join(single.rename({"product_id": "b", "orders": "orders_b"}), on="b")
        .with_columns(
            (pl.col("together") / n).alias("support"),
            (pl.col("together") / pl.col("orders_a")).alias("confidence"),
            (pl.col("together") * n / (pl.col("orders_a") * pl.col("orders_b"))).alias("lift"),
        )
        .sort(["lift", "together", "a", "b"], descending=[True, True, False, False])
        .head(top)
    )


PROMOTION_BANDS = 5


def promotion_report(days: pl.DataFrame) -> dict[str, Any]:
    """Cells of (first-purchase month, first-purchase value band, promotion used on the first
    purchase day): buyers, repeat buyers and later spend (sum and sum of squares)."""
    if not days.height:
        return {"cells": {}, "band_cuts": []}
    starts, sizes = _customer_runs(days)
    value = days["v"].to_numpy()
    first_value = value[starts]
    later = np.add.reduceat(value, starts) - first_value
    cuts = [
        float(np.quantile(first_value, q / PROMOTION_BANDS, method="lower"))
        for q in range(1, PROMOTION_BANDS)
    ]
    band = np.searchsorted(np.array(cuts), first_value, side="left") + 1  # value <= cut → band
    per_customer = pl.DataFrame(
        {
            "month": days["day"].gather(starts).dt.truncate("1mo"),
            "band": band,
            "promo": days["promo"].gather(starts),
            "repeated": sizes >= 2,
            "later_spend": later,
        }
    )
    cells = (
        per_customer.group_by("month", "band", "promo")
        .agg(
            pl.len().alias("buyers"),
            pl.col("repeated").sum().alias("repeaters"),
            pl.col("later_spend").sum().alias("spend"),
            (pl.col("later_spend") ** 2).sum().alias("spend_sq"),
        )
        .sort("month", "band", "promo")
    )
    return {"cells": _columns(cells), "band_cuts": cuts}


def switching_report(history: History, days: pl.DataFrame) -> dict[str, Any]:
    """Switching-cost indicators measured one year ago and whether each customer bought again
    in the year since: retention by band and by indicator (no look-ahead in the indicators)."""
    ref = history.as_of - timedelta(days=RETENTION_WINDOW_DAYS)
    before = days.filter(pl.col("day") <= ref)
    if not before.height:
        return {"reference_date": ref.isoformat(), "bands": {}, "indicators": {}}
    first = before.group_by("customer_id").agg(pl.col("day").min().alias("first_day"))
    retained = (
        days.filter(pl.col("day") > ref)
        .select("customer_id")
        .unique()
        .with_columns(pl.lit(True).alias("retained"))
    )
    facts = history.customers
    made = (
        facts.filter(pl.col("was_referred") & (pl.col("customer_since") <= ref))
        .group_by(pl.col("referred_by_id").alias("customer_id"))
        .agg(pl.len().cast(pl.Int64).alias("referrals_made"))
    )
    extra = _extra(SWITCHING_COST_SOURCES, ref, "points", "sum").rename({"points": "extra_points"})
    since = pl.when(pl.col("customer_since") <= ref).then(pl.col("customer_since"))
    frame = (
        first.join(facts.drop("referrals_made"), on="customer_id", how="left")
        .join(made, on="customer_id", how="left")
        .join(categories_held(history, until=ref), on="customer_id", how="left")
        .join(extra, on="customer_id", how="left")
        .join(retained, on="customer_id", how="left")
        .with_columns(
            pl.col("referrals_made", "categories_held").fill_null(0),
            pl.col("was_referred", "retained").fill_null(False),
            (pl.lit(ref) - pl.min_horizontal("first_day", since))
            .dt.total_days()
            .alias("tenure_days"),
        )
        .with_columns(switching_points().alias("switching_cost"))
        .with_columns(
            _band(
                pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True
            ).alias("band")
        )
    )

    def retention(key: pl.Expr) -> dict[str, list[Any]]:
        return _columns(
            frame.group_by(key.alias("level"))
            .agg(pl.len().alias("customers"), pl.col("retained").sum())
            .sort("level")
        )

    tenure = _band(pl.col("tenure_days"), (365, 1095), ("<1y", "1-3y", "3y+"))
    cats_level = _band(pl.col("categories_held"), (1, 3), ("0-1", "2-3", "4+"), inclusive=True)
    referral = (
        pl.when(pl.col("was_referred") & (pl.col("referrals_made") > 0))
        .then(pl.lit("both"))
        .when(pl.col("was_referred"))
        .then(pl.lit("referred"))
        .when(pl.col("referrals_made") > 0)
        .then(pl.lit("referrer"))
        .otherwise(pl.lit("none"))
    )
    return {
        "reference_date": ref.isoformat(),
        "bands": retention(pl.col("band")),
        "points": retention(pl.col("switching_cost")),
        "indicators": {
            "tenure": retention(tenure),
            "categories": retention(cats_level),
            "referral": retention(referral),
        },
    }


# --- Churn records ----------------------------------------------------------------------------


@transaction.atomic
def churn_record(
    *,
    customer: Any,
    reason: str,
    destination: str = ChurnDestination.UNKNOWN,
    note: str = "",
    by: Any,
    recorded_at: datetime | None = None,
) -> ChurnRecord:
    """Record that a customer left, why and where to; the customer's history gets a row."""
    errors: dict[str, list[str]] = {}
    if reason not in ChurnReason.values:
        errors["reason"] = [_("Choose one of the listed reasons.")]
    if destination not in ChurnDestination.values:
        errors["destination"] = [_("Choose one of the listed destinations.")]
    if len(note) > 2000:
        errors["note"] = [_("The note is too long (at most 2,000 characters).")]
    if errors:
        raise ValidationError(errors)
    record = ChurnRecord.objects.create(
        customer=customer,
        reason=reason,
        destination=destination,
        note=note.strip(),
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        recorded_at=recorded_at or timezone.now(),
    )
    record_change(
        obj=record,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer.pk,
        changes={
            "reason": [None, reason],
            "destination": [None, destination],
            **({"note": [None, record.note]} if record.note else {}),
        },
    )
    return record
