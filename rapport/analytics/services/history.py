"""The order history a refresh reads once: orders, lines, returns, cost to serve, customers and
products, tied together with array lookups instead of joins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import polars as pl

from rapport.analytics.services.arrays import distinct, distinct_counts, index_of
from rapport.analytics.services.currency import (
    CurrencyError,
    conversion_rates,
    currency_codes,
    currency_sql,
    unknown_currency_message,
)
from rapport.analytics.services.database import end_of, local_day, read_frame
from rapport.analytics.services.names import counted_statuses, sql_names
from rapport.analytics.services.sources import COST_TO_SERVE_SOURCES, PRODUCT_COMPLAINT_SOURCES

REFUNDS = "returns"  # the cost-to-serve kind of refunds for returned goods


def refunds_by_order_sql() -> str:
    """order_id, refund: the refunds up to an instant (one parameter) per order."""
    n = sql_names()
    return f"""
        SELECT l.{n.line_order} AS order_id, SUM(r.{n.refund_amount}) AS refund
        FROM {n.return_} r JOIN {n.line} l ON l.{n.line_id} = r.{n.return_line}
        WHERE r.{n.returned_at} < %s
        GROUP BY l.{n.line_order}
    """  # noqa: S608 - names from the models' _meta; values are bound parameters


@dataclass
class History:
    """Everything a refresh reads, once: the orders that count up to the observation end, their
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

    @property
    def converted(self) -> int:
        """Orders converted from another currency."""
        return int((self.orders["rate"] != 1.0).sum()) if "rate" in self.orders.columns else 0


def read_history(*, as_of: date) -> History:
    """Read the order history up to `as_of` (inclusive, in the business's time zone). Only the
    columns the analyses use are read: every numeric column costs PostgreSQL a conversion."""
    end, n = end_of(as_of), sql_names()
    orders = read_orders(as_of=as_of)
    lines = read_frame(
        [
            ("order_id", "int8", f"l.{n.line_order}"),
            ("product_id", "int8", f"l.{n.line_product}"),
            ("quantity", "milli", f"l.{n.line_quantity}"),
        ],
        f"FROM {n.line} l",
        [],
    )
    returns = read_frame(
        [
            ("order_id", "int8", f"l.{n.line_order}"),
            ("product_id", "int8", f"l.{n.line_product}"),
            ("returned_at", "timestamptz", f"r.{n.returned_at}"),
            ("returned", "milli", f"r.{n.return_quantity}"),
            ("refund", "cents", f"r.{n.refund_amount}"),
        ],
        f"FROM {n.return_} r JOIN {n.line} l ON l.{n.line_id} = r.{n.return_line} "
        f"WHERE r.{n.returned_at} < %s",
        [end],
    )
    customers = read_frame(
        [
            ("customer_id", "int8", f"c.{n.customer_id}"),
            ("customer_since", "date", f"COALESCE(c.{n.customer_since}, '9999-12-31')"),
            ("referred_by_id", "int8", f"COALESCE(c.{n.referred_by}, 0)"),
        ],
        f"FROM {n.customer} c",
        [],
    )
    return assemble_history(as_of, orders, lines, returns, customers, read_products())


def read_orders(*, as_of: date) -> pl.DataFrame:
    """The orders that count as purchases (`names.counted_statuses`) up to `as_of`: order_id,
    customer_id, day (local), total and cost in the organisation's currency (`currency`), the
    rate they were converted with, promo. CurrencyError when an order's currency has no rate."""
    n, codes = sql_names(), currency_codes()
    orders = read_frame(
        [
            ("code", "int2", currency_sql(f"o.{n.order_currency}", codes)),
            ("order_id", "int8", f"o.{n.order_id}"),
            ("customer_id", "int8", f"o.{n.order_customer}"),
            ("ordered_at", "timestamptz", f"o.{n.ordered_at}"),
            ("total", "cents", f"o.{n.order_total}"),
            ("cost", "cents", f"o.{n.order_cost}"),
            ("promo", "int2", f"CASE WHEN o.{n.promotion_code} <> '' THEN 1 ELSE 0 END"),
        ],
        f"FROM {n.order} o WHERE o.{n.order_status} IN ({n.counted}) AND o.{n.ordered_at} < %s",
        [*codes, *counted_statuses(), end_of(as_of)],
    )
    orders = orders.with_columns(local_day("ordered_at").alias("day")).drop("ordered_at")
    if orders.height and (orders["code"] < 0).any():
        raise CurrencyError(unknown_currency_message(as_of=as_of))
    rate = pl.Series("rate", conversion_rates(orders, codes))
    return orders.with_columns(pl.col("total") * rate, pl.col("cost") * rate, rate).drop("code")


def read_refunds(*, as_of: date) -> pl.DataFrame:
    """order_id, refund: refunds up to `as_of` per order (for a summary without the lines)."""
    rest = f"FROM ({refunds_by_order_sql()}) f"
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
    if "rate" in orders.columns:  # refunds are in their order's currency
        returns = returns.with_columns(pl.col("refund") * orders["rate"].gather(at))
    orders = orders.with_columns(
        pl.Series("refund", np.bincount(at, returns["refund"].to_numpy(), minlength=orders.height))
    )
    cost = returns.select(
        "customer_id",
        local_day("returned_at").dt.truncate("1mo").alias("month"),
        pl.lit(REFUNDS).alias("kind"),
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
