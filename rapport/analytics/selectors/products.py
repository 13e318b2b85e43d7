"""The products page: first products, return and complaint rates, products bought together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind
from rapport.analytics.selectors.common import Filters, report, report_frame

TABLE_ROWS = 50


def products(filters: Filters) -> dict[str, Any]:
    """First products that lead to repeat buying (first purchases in the period), return and
    complaint rates per product (sales and complaints in the period) — both for the customers of
    the selected segment — and products bought together (the whole history, every segment).
    Complaint rates only when a complaint source was registered at the last refresh."""
    split = "_by_segment" if filters.segment else ""
    data = report(
        ReportKind.PRODUCTS,
        ("products", "pairs", "orders", "complaint_sources")
        + tuple(f"{k}{split}" for k in ("first_products", "returns", "complaints")),
    )
    if split:  # the cells split by segment (none in a report from before the split)
        data |= {k: data[f"{k}{split}"] for k in ("first_products", "returns", "complaints")}
    names = {r["product_id"]: r for r in report_frame(data, "products").to_dicts()}

    def named(r: dict[str, Any], key: str = "product_id") -> dict[str, Any]:
        p = names.get(r[key], {})
        return {
            **r,
            "sku": p.get("sku", ""),
            "name": p.get("name", ""),
            "category": p.get("category", ""),
        }

    def selected(frame: pl.DataFrame) -> pl.DataFrame:
        """The rows of the period and of the selected segment."""
        frame = frame.filter((pl.col("month") >= filters.start) & (pl.col("month") <= filters.end))
        if filters.segment and "segment" in frame.columns:
            frame = frame.filter(pl.col("segment") == filters.segment)
        return frame

    first = report_frame(data, "first_products")
    first_rows: list[dict[str, Any]] = []
    if first.height:
        agg = selected(first).group_by("product_id").agg(pl.col("first_buyers", "repeaters").sum())
        floor = 10 if agg.height and agg["first_buyers"].max() >= 10 else 1
        first_rows = [
            named(r)
            for r in agg.filter(pl.col("first_buyers") >= floor)
            .with_columns((pl.col("repeaters") / pl.col("first_buyers")).alias("repeat_rate"))
            .sort(["repeat_rate", "first_buyers"], descending=True)
            .head(TABLE_ROWS)
            .to_dicts()
        ]
    complaints_known = bool(data.get("complaint_sources"))
    return {
        "first": first_rows,
        "returns": [
            named(r) for r in _return_and_complaint_rates(data, selected, complaints_known)
        ],
        "complaints_known": complaints_known,
        "pairs": _pair_rows(report_frame(data, "pairs"), names),
        "orders": data.get("orders", 0),
    }


def _return_and_complaint_rates(
    data: dict[str, Any],
    selected: Callable[[pl.DataFrame], pl.DataFrame],
    complaints_known: bool,
) -> list[dict[str, Any]]:
    """Per product in the selection: sold, returned, return rate, refunds and — when complaints
    are known — orders with the product, complaints and complaint rate (complaints / orders);
    worst first by the higher of the two rates."""
    sales = report_frame(data, "returns")
    figures = ("lines", "quantity", "returned", "refund", "returns")
    if "orders" in sales.columns or not sales.height:
        figures = (*figures, "orders")
    frame = (
        selected(sales).group_by("product_id").agg(pl.col(*figures).sum())
        if sales.height
        else pl.DataFrame(schema={"product_id": pl.Int64} | dict.fromkeys(figures, pl.Float64))
    )
    frame = frame.with_columns((pl.col("returned") / pl.col("quantity")).alias("return_rate"))
    worst = pl.col("return_rate")
    if complaints_known:
        complaints = report_frame(data, "complaints")
        counted = (
            selected(complaints).group_by("product_id").agg(pl.col("complaints").sum())
            if complaints.height
            else pl.DataFrame(schema={"product_id": pl.Int64, "complaints": pl.Int64})
        )
        frame = (
            frame.join(counted, on="product_id", how="full", coalesce=True)
            .with_columns(pl.col("complaints").fill_null(0))
            .with_columns(
                pl.when(pl.col("orders") > 0)
                .then(pl.col("complaints") / pl.col("orders"))
                .alias("complaint_rate")
            )
        )
        worst = pl.max_horizontal("return_rate", "complaint_rate")
    return (
        frame.with_columns(worst.alias("worst"))
        .sort(["worst", "quantity", "product_id"], descending=[True, True, False], nulls_last=True)
        .drop("worst")
        .head(TABLE_ROWS)
        .to_dicts()
    )


def _pair_rows(pairs: pl.DataFrame, names: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for r in pairs.head(TABLE_ROWS).to_dicts():
        a, b = names.get(r["a"], {}), names.get(r["b"], {})
        rows.append(
            {
                **r,
                "a_name": a.get("name", ""),
                "a_sku": a.get("sku", ""),
                "b_name": b.get("name", ""),
                "b_sku": b.get("sku", ""),
            }
        )
    return rows
