"""Extension points: other apps register sources here (in their AppConfig.ready). Each source is a
function returning a polars frame; every refresh calls them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import polars as pl

# (end: aware datetime) -> customer_id, month (Date, first of month), amount: cost to serve.
CostToServeSource = Callable[[datetime], pl.DataFrame]
# (end) -> customer_id, satisfaction (mean answer on a 1–5 scale): gates emotional trust.
SatisfactionSource = Callable[[datetime], pl.DataFrame]
# (as_of: date) -> customer_id, points: membership level, points, active service commitments…
SwitchingCostSource = Callable[[date], pl.DataFrame]
# (end) -> product_id, month (Date, first of month of the complaint), complaints (count), and
# customer_id when known (0 or missing: no customer; the segment filter then leaves them out).
ProductComplaintSource = Callable[[datetime], pl.DataFrame]

COST_TO_SERVE_SOURCES: dict[str, CostToServeSource] = {}
SATISFACTION_SOURCES: dict[str, SatisfactionSource] = {}
SWITCHING_COST_SOURCES: dict[str, SwitchingCostSource] = {}
PRODUCT_COMPLAINT_SOURCES: dict[str, ProductComplaintSource] = {}


def register_cost_to_serve(kind: str, source: CostToServeSource) -> None:
    """Add a kind of cost to serve (complaint remedies, loyalty rewards) to every refresh."""
    COST_TO_SERVE_SOURCES[kind] = source


def register_satisfaction(name: str, source: SatisfactionSource) -> None:
    """Add survey answers (mean satisfaction per customer) that gate emotional trust."""
    SATISFACTION_SOURCES[name] = source


def register_switching_cost(name: str, source: SwitchingCostSource) -> None:
    """Add switching-cost points per customer (membership level, points, commitments)."""
    SWITCHING_COST_SOURCES[name] = source


def register_product_complaints(name: str, source: ProductComplaintSource) -> None:
    """Add complaints per product and month (the complaints app): the products page then shows
    each product's complaint rate."""
    PRODUCT_COMPLAINT_SOURCES[name] = source


def combined_sources(
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
