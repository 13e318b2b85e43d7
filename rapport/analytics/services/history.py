"""The order history a refresh reads once: orders, lines, returns, cost to serve, customers and
products, tied together with array lookups instead of joins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import polars as pl

from rapport.analytics.services.arrays import distinct, distinct_counts, index_of
from rapport.analytics.services.database import end_of, local_day, read_frame
from rapport.analytics.services.sources import COST_TO_SERVE_SOURCES, PRODUCT_COMPLAINT_SOURCES

REFUNDS_BY_ORDER = """
    SELECT l.order_id, SUM(r.refund_amount) AS refund
    FROM sales_return r JOIN sales_orderline l ON l.id = r.order_line_id
    WHERE r.returned_at < %s
    GROUP BY l.order_id
"""


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
    complaints: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=COMPLAINTS_SCHEMA))
    complaint_sources: tuple[str, ...] = ()  # names of the registered complaint sources


def read_history(*, as_of: date) -> History:
    """Read the order history up to `as_of` (inclusive, in the business's time zone). Only the
    columns the analyses use are read: every numeric column costs PostgreSQL a conversion."""
    end = end_of(as_of)
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
    return assemble_history(as_of, orders, lines, returns, customers, read_products())


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
        [end_of(as_of)],
    )
    return orders.with_columns(local_day("ordered_at").alias("day")).drop("ordered_at")


def read_refunds(*, as_of: date) -> pl.DataFrame:
    """order_id, refund: refunds up to `as_of` per order (for a summary without the lines)."""
    rest = f"FROM ({REFUNDS_BY_ORDER}) f"  # noqa: S608 - fixed SQL
    return read_frame(
        [("order_id", "int8", "f.order_id"), ("refund", "cents", "f.refund")],
        rest,
        [end_of(as_of)],
    )


def read_products() -> pl.DataFrame:
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
        local_day("returned_at").dt.truncate("1mo").alias("month"),
        pl.lit("returns").alias("kind"),
        pl.col("refund").alias("amount"),
    )
    extra = [
        source(end_of(as_of)).select(
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
        complaints=read_complaints(end_of(as_of)),
        complaint_sources=tuple(PRODUCT_COMPLAINT_SOURCES),
    )


COMPLAINTS_SCHEMA = {
    "product_id": pl.Int64,
    "month": pl.Date,
    "complaints": pl.Int64,
    "customer_id": pl.Int64,
}


def read_complaints(end: datetime) -> pl.DataFrame:
    """product_id, month, complaints, customer_id (0 when the source gives none): the registered
    complaint sources up to `end`, stacked (none: an empty frame)."""
    parts = [
        frame.select(
            pl.col("product_id").cast(pl.Int64),
            pl.col("month").cast(pl.Date).dt.truncate("1mo"),
            pl.col("complaints").cast(pl.Int64),
            (pl.col("customer_id") if "customer_id" in frame.columns else pl.lit(0))
            .fill_null(0)
            .cast(pl.Int64)
            .alias("customer_id"),
        )
        for frame in (source(end) for source in PRODUCT_COMPLAINT_SOURCES.values())
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=COMPLAINTS_SCHEMA)


def categories_held(history: History, *, until: date | None = None) -> pl.DataFrame:
    """customer_id, categories_held: distinct product categories bought (up to `until`)."""
    lines = history.lines if until is None else history.lines.filter(pl.col("day") <= until)
    products = history.products
    code = np.zeros(len(lines), dtype=np.int64)
    at = index_of(products["product_id"].to_numpy(), lines["product_id"].to_numpy())
    code[at >= 0] = products["category_code"].to_numpy()[at[at >= 0]]
    has = code > 0
    pairs = distinct(lines["customer_id"].to_numpy()[has] * 2**16 + code[has])
    customers, counts = distinct_counts(pairs >> 16)  # in order: no sort
    return pl.DataFrame(
        {"customer_id": customers.astype(np.int64), "categories_held": counts.astype(np.int64)}
    )
