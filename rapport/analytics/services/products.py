"""The products report: first products and repeat buying, returns and complaints per product,
and products bought together. Per (month, segment of the customer today, product) cells, so the
products page can filter by period and segment."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
import polars as pl

from rapport.analytics.choices import Segment
from rapport.analytics.services.arrays import (
    as_columns,
    customer_runs,
    distinct,
    distinct_counts,
    index_of,
    month_dates,
    month_index,
)
from rapport.analytics.services.history import History
from rapport.analytics.services.rules import segment_codes

PRODUCT_BITS = 24  # product ids below 2**24 pack beside an order or customer id in one int64
_PRODUCT = 2**PRODUCT_BITS - 1
GROUPS = len(Segment.values) + 1  # 0: no segment (not scored), then Segment.values in order
SEGMENT_NAMES = np.array(["", *Segment.values], dtype=object)


def products_report(
    history: History, days: pl.DataFrame, segments: pl.DataFrame, *, top_pairs: int = 200
) -> dict[str, Any]:
    """First products and repeat buying, sales, returns and orders per product and month,
    complaints per product and month (from the registered sources) — each also split by the
    customer's segment today (`*_by_segment`, read only when the page filters by segment) — and
    products bought together (support, confidence, lift)."""
    lines = history.lines
    first = _first_products(lines, days, segments)
    baskets = distinct(
        lines["order_id"].to_numpy() * 2**PRODUCT_BITS + lines["product_id"].to_numpy()
    )
    returns = _sales_and_returns(history, baskets, segments)
    complaints = _complaints(history.complaints, segments)
    pairs = _pairs(baskets, top=top_pairs)
    ids = set(first["product_id"].to_list()) | set(returns["product_id"].to_list())
    ids |= set(complaints["product_id"].to_list())
    ids |= set(pairs["a"].to_list()) | set(pairs["b"].to_list())
    return {
        **_with_totals("first_products", first),
        **_with_totals("returns", returns),
        **_with_totals("complaints", complaints),
        "complaint_sources": list(history.complaint_sources),
        "pairs": as_columns(pairs),
        "orders": history.orders.height,
        "products": as_columns(product_names(sorted(ids))),
    }


def _with_totals(name: str, by_segment: pl.DataFrame) -> dict[str, dict[str, list[Any]]]:
    """The cells per (month, segment, product) and, under `name`, summed over the segments."""
    figures = [c for c in by_segment.columns if c not in ("month", "segment", "product_id")]
    total = (
        by_segment.group_by("month", "product_id")
        .agg(pl.col(*figures).sum())
        .sort("month", "product_id")
    )
    return {name: as_columns(total), f"{name}_by_segment": as_columns(by_segment)}


class _Cells:
    """(month, segment, product) as one integer per row, to sum figures per cell with
    np.bincount."""

    def __init__(self, months: np.ndarray, products: np.ndarray) -> None:
        self.base = int(months.min()) if len(months) else 0
        self.products = products  # sorted distinct product ids

    def of(self, month: np.ndarray, segment: np.ndarray, product_id: np.ndarray) -> np.ndarray:
        """The cell of each row (segment: index into Segment.values, -1 for none)."""
        product = np.searchsorted(self.products, product_id)
        return ((month - self.base) * GROUPS + segment + 1) * len(self.products) + product

    def frame(self, cells: np.ndarray) -> pl.DataFrame:
        """month, segment, product_id of the given cells."""
        n = len(self.products)
        return pl.DataFrame(
            {
                "month": month_dates(cells // (n * GROUPS) + self.base),
                "segment": pl.Series(SEGMENT_NAMES[(cells // n) % GROUPS], dtype=pl.String),
                "product_id": self.products[cells % n],
            }
        )


def _no_cells(*figures: str) -> pl.DataFrame:
    return pl.DataFrame(
        schema={"month": pl.Date, "segment": pl.String, "product_id": pl.Int64}
        | dict.fromkeys(figures, pl.Int64)
    )


def _positions(cells: np.ndarray) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """The distinct cells (sorted) and a function giving any of them its position among them."""
    if len(cells) and cells.max() <= 4 * len(cells) + 1_000_000:  # dense: a lookup table
        present = np.bincount(cells) > 0
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present), lambda c: rank[c]
    used = distinct(cells)
    return used, lambda c: np.searchsorted(used, c)


def _first_products(
    lines: pl.DataFrame, days: pl.DataFrame, segments: pl.DataFrame
) -> pl.DataFrame:
    """Per (month of the first purchase, segment today, product bought that first day): first-time
    buyers and how many of them bought again on another day."""
    starts, sizes = customer_runs(days)
    first_customer = days["customer_id"].to_numpy()[starts]
    first_day = (days["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()[starts]
    at = index_of(first_customer, lines["customer_id"].to_numpy())
    line_day = (lines["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()
    on_first = (at >= 0) & (line_day == first_day[np.maximum(at, 0)])
    key = distinct(
        lines["customer_id"].to_numpy()[on_first] * 2**PRODUCT_BITS
        + lines["product_id"].to_numpy()[on_first]
    )
    if not len(key):
        return _no_cells("first_buyers", "repeaters")
    who = index_of(first_customer, key >> PRODUCT_BITS)
    month = month_index(days["day"].gather(starts))[who]
    grid = _Cells(month, distinct(key & _PRODUCT))
    cells = grid.of(month, segment_codes(segments, key >> PRODUCT_BITS), key & _PRODUCT)
    used, at_cell = _positions(cells)
    pos = at_cell(cells)
    repeated = (sizes[who] >= 2).astype(np.float64)
    return grid.frame(used).with_columns(
        pl.Series("first_buyers", np.bincount(pos, minlength=len(used))),
        pl.Series("repeaters", np.bincount(pos, repeated, minlength=len(used)).astype(np.int64)),
    )


def _sales_and_returns(
    history: History, baskets: np.ndarray, segments: pl.DataFrame
) -> pl.DataFrame:
    """Per (month of sale, segment, product): lines, orders containing the product, quantity
    sold, quantity returned, refunds and returns, summed with one bincount per figure.
    `baskets`: the distinct (order id, product id) keys of the lines."""
    lines, returns, orders = history.lines, history.returns, history.orders
    if not lines.height:
        return _no_cells("lines", "orders")
    products = distinct(np.r_[lines["product_id"].to_numpy(), returns["product_id"].to_numpy()])
    sold_month = month_index(lines["day"])
    grid = _Cells(sold_month, products)

    def cells(frame: pl.DataFrame, month: np.ndarray) -> np.ndarray:
        customers = frame["customer_id"].to_numpy()
        return grid.of(month, segment_codes(segments, customers), frame["product_id"].to_numpy())

    sold = cells(lines, sold_month)
    used, at_cell = _positions(sold)
    sold, back = at_cell(sold), at_cell(cells(returns, month_index(returns["day"])))
    at = index_of(orders["order_id"].to_numpy(), baskets >> PRODUCT_BITS)  # lines: valid orders
    baskets_at = at_cell(
        grid.of(
            month_index(orders["day"].gather(at)),
            segment_codes(segments, orders["customer_id"].to_numpy()[at]),
            baskets & _PRODUCT,
        )
    )
    size = len(used)
    return grid.frame(used).with_columns(
        pl.Series("lines", np.bincount(sold, minlength=size)),
        pl.Series("orders", np.bincount(baskets_at, minlength=size)),
        pl.Series("quantity", np.bincount(sold, lines["quantity"].to_numpy(), minlength=size)),
        pl.Series("returned", np.bincount(back, returns["returned"].to_numpy(), minlength=size)),
        pl.Series("refund", np.bincount(back, returns["refund"].to_numpy(), minlength=size)),
        pl.Series("returns", np.bincount(back, minlength=size)),
    )


def _complaints(complaints: pl.DataFrame, segments: pl.DataFrame) -> pl.DataFrame:
    """Complaints per (month of the complaint, segment of the customer today, product)."""
    codes = segment_codes(segments, complaints["customer_id"].to_numpy())
    return (
        complaints.with_columns(pl.Series("segment", SEGMENT_NAMES[codes + 1], dtype=pl.String))
        .group_by("month", "segment", "product_id")
        .agg(pl.col("complaints").sum())
        .sort("month", "segment", "product_id")
    )


def product_pairs(items: pl.DataFrame, *, top: int = 200, max_basket: int = 30) -> pl.DataFrame:
    """Pairs of products in the same order (orders of 2..max_basket distinct products): orders
    together, support, confidence and lift; the `top` pairs by lift among those seen together in
    at least max(2, 0.001 % of orders) orders. Pairs are enumerated with array arithmetic."""
    key = distinct(items["order_id"].to_numpy() * 2**PRODUCT_BITS + items["product_id"].to_numpy())
    return _pairs(key, top=top, max_basket=max_basket)


def _pairs(baskets: np.ndarray, *, top: int, max_basket: int = 30) -> pl.DataFrame:
    """`product_pairs` from the sorted distinct (order id, product id) keys."""
    order, product = baskets >> PRODUCT_BITS, baskets & _PRODUCT
    starts = np.flatnonzero(np.r_[True, order[1:] != order[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    n_orders = len(starts)
    single_ids, single_counts = distinct_counts(product)
    size_of = np.repeat(sizes, sizes)
    pos = np.arange(len(order)) - np.repeat(starts, sizes)  # position within the order
    partners = np.where((size_of >= 2) & (size_of <= max_basket), size_of - pos - 1, 0)
    first = np.repeat(np.arange(len(order)), partners)
    step = np.arange(len(first)) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    a, b = product[first], product[first + step]  # a < b: products are sorted within an order
    pair_keys, together = distinct_counts(a * 2**24 + b)
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


def product_names(ids: list[int]) -> pl.DataFrame:
    from rapport.sales.models import Product

    rows = Product.objects.filter(pk__in=ids).values_list("id", "sku", "name", "category")
    return pl.DataFrame(
        list(rows),
        orient="row",
        schema={"product_id": pl.Int64, "sku": pl.String, "name": pl.String, "category": pl.String},
    )
