"""The profit and performance page: revenue, margin, cost to serve and net contribution."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind, Segment
from rapport.analytics.selectors.common import (
    SEGMENTS,
    Filters,
    add_months,
    ratio,
    report_frame,
    reports,
    top_customers,
)
from rapport.analytics.selectors.leaky_bucket import month_in_progress


def _period_sums(
    sales: pl.DataFrame, service: pl.DataFrame, start: str, end: str, segment: str
) -> pl.DataFrame:
    """Per segment: revenue, cost of goods, orders, cost to serve over months [start, end]."""

    def within(frame: pl.DataFrame) -> pl.DataFrame:
        frame = frame.filter((pl.col("month") >= start) & (pl.col("month") <= end))
        return frame.filter(pl.col("segment") == segment) if segment else frame

    s = (
        within(sales).group_by("segment").agg(pl.col("revenue", "cost", "orders").sum())
        if sales.height
        else pl.DataFrame(
            schema={
                "segment": pl.String,
                "revenue": pl.Float64,
                "cost": pl.Float64,
                "orders": pl.Int64,
            }
        )
    )
    c = (
        within(service).group_by("segment").agg(pl.col("amount").sum().alias("cost_to_serve"))
        if service.height
        else pl.DataFrame(schema={"segment": pl.String, "cost_to_serve": pl.Float64})
    )
    return s.join(c, on="segment", how="full", coalesce=True).fill_null(0)


def _growth(now: float, before: float) -> float | None:
    return (now - before) / abs(before) if before else None


def profit(filters: Filters, as_of: date | None = None) -> dict[str, Any]:
    """Revenue, gross margin, cost to serve and net contribution per segment in the period, growth
    against the previous period of the same length, monthly series, the top-20 % profit share
    and the top customers."""
    data = reports(ReportKind.PROFIT, ReportKind.SCORES)
    sales, service = (
        report_frame(data[ReportKind.PROFIT], "sales"),
        report_frame(data[ReportKind.PROFIT], "service"),
    )
    scores = data[ReportKind.SCORES]
    sizes = {r["segment"]: r["customers"] for r in report_frame(scores, "by_segment").to_dicts()}
    now = _period_sums(sales, service, filters.start, filters.end, filters.segment)
    months = filters.months()
    prev = None
    if months and filters.period_from:
        first = filters.period_from.replace(day=1)
        prev = _period_sums(
            sales,
            service,
            add_months(first, -months).isoformat(),
            add_months(first, -1).isoformat(),
            filters.segment,
        )
    rows = []
    by_seg = {r["segment"]: r for r in now.to_dicts()}
    for seg in SEGMENTS:
        if filters.segment and seg != filters.segment:
            continue
        r = by_seg.get(seg, {})
        rows.append(_profit_row(seg, Segment(seg).label, r, sizes.get(seg, 0)))
    summed = {k: sum(r[k] for r in rows) for k in ("revenue", "cost_to_serve", "orders")}
    summed["cost"] = sum(r["cost_of_goods"] for r in rows)
    totals = _profit_row("", "", summed, sum(r["customers"] for r in rows))
    growth = None
    if prev is not None:
        p = (
            prev.select(pl.col("revenue", "cost", "cost_to_serve").sum()).to_dicts()[0]
            if prev.height
            else {"revenue": 0.0, "cost": 0.0, "cost_to_serve": 0.0}
        )
        p_margin = p["revenue"] - p["cost"]
        growth = {
            "revenue": _growth(totals["revenue"], p["revenue"]),
            "gross_margin": _growth(totals["gross_margin"], p_margin),
            "net_contribution": _growth(totals["net_contribution"], p_margin - p["cost_to_serve"]),
            "previous": {
                "revenue": p["revenue"],
                "gross_margin": p_margin,
                "net_contribution": p_margin - p["cost_to_serve"],
            },
        }
    kinds = (
        (
            service.filter(
                (pl.col("month") >= filters.start)
                & (pl.col("month") <= filters.end)
                & ((pl.col("segment") == filters.segment) if filters.segment else pl.lit(True))
            )
            .group_by("kind")
            .agg(pl.col("amount").sum())
            .sort("kind")
            .to_dicts()
        )
        if service.height
        else []
    )
    pareto = next((p for p in scores.get("pareto", []) if p["segment"] == filters.segment), {})
    return {
        "rows": rows,
        "totals": totals,
        "growth": growth,
        "kinds": kinds,
        "monthly": _monthly(sales, service, filters, as_of),
        "pareto": pareto,
        "deciles": [
            d
            for d in report_frame(scores, "deciles").to_dicts()
            if d.get("segment", "") == filters.segment
        ],
        "top": top_customers(scores, "top_profit", filters.segment),
    }


def _profit_row(seg: str, label: Any, r: dict[str, Any], customers: int) -> dict[str, Any]:
    revenue, cogs = r.get("revenue", 0.0), r.get("cost", 0.0)
    serve = r.get("cost_to_serve", 0.0)
    margin = revenue - cogs
    return {
        "segment": seg,
        "label": label,
        "customers": customers,
        "orders": r.get("orders", 0),
        "revenue": revenue,
        "cost_of_goods": cogs,
        "gross_margin": margin,
        "margin_rate": ratio(margin, revenue),
        "cost_to_serve": serve,
        "net_contribution": margin - serve,
        "net_per_customer": ratio(margin - serve, customers),
    }


def _monthly(
    sales: pl.DataFrame, service: pl.DataFrame, filters: Filters, as_of: date | None = None
) -> dict[str, Any]:
    """Revenue, gross margin and net contribution per month; `partial` names the month of the
    observation end when it is not over yet (its figures cover only the days so far)."""
    if not sales.height:
        return {
            "months": [],
            "revenue": [],
            "gross_margin": [],
            "net_contribution": [],
            "partial": None,
        }
    seg = (pl.col("segment") == filters.segment) if filters.segment else pl.lit(True)
    period = (pl.col("month") >= filters.start) & (pl.col("month") <= filters.end)
    s = sales.filter(seg & period).group_by("month").agg(pl.col("revenue", "cost").sum())
    c = (
        service.filter(seg & period).group_by("month").agg(pl.col("amount").sum())
        if service.height
        else pl.DataFrame(schema={"month": pl.String, "amount": pl.Float64})
    )
    m = s.join(c, on="month", how="full", coalesce=True).fill_null(0).sort("month")
    margin = m["revenue"] - m["cost"]
    months = [x[:7] for x in m["month"].to_list()]
    in_progress = month_in_progress(as_of) if as_of else None
    partial = in_progress.isoformat()[:7] if in_progress else None
    return {
        "months": months,
        "revenue": m["revenue"].to_list(),
        "gross_margin": margin.to_list(),
        "net_contribution": (margin - m["amount"]).to_list(),
        "partial": partial if partial and partial in months else None,
        "partial_days": as_of.day if partial and as_of else None,
    }
