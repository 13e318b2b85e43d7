"""The overview and segments pages: customers, value and outlook per segment, the RFM grid."""

from __future__ import annotations

from typing import Any

import polars as pl

from rapport.analytics.choices import ChurnRiskBand, ReportKind, Segment
from rapport.analytics.selectors.common import (
    SEGMENTS,
    Filters,
    ratio,
    report,
    report_frame,
    segment_rows,
)
from rapport.analytics.services.rules import SEGMENT_GRID


def segment_summary(filters: Filters) -> dict[str, Any]:
    """Per segment: customers, share, revenue, net spend, CLV (total and mean), mean P(alive),
    repeat rate, net contribution — plus the RFM grid (R rows 5..1, F columns 1..5)."""
    data = report(ReportKind.SCORES)
    by_segment = segment_rows(report_frame(data, "by_segment"))
    total = sum(r["customers"] for r in by_segment.values())
    rows = []
    for seg in SEGMENTS:
        if filters.segment and seg != filters.segment:
            continue
        r = by_segment.get(seg) or {}
        n = r.get("customers", 0)
        rows.append(
            {
                "segment": seg,
                "label": str(Segment(seg).label),
                "customers": n,
                "share": ratio(n, total),
                "revenue": r.get("revenue", 0.0),
                "net_spend": r.get("monetary", 0.0),
                "clv": r.get("clv", 0.0),
                "clv_mean": ratio(r.get("clv"), n),
                "p_alive_mean": ratio(r.get("p_alive"), r.get("forecast", n)),
                "repeat_rate": ratio(r.get("repeaters"), n),
                "expected_purchases": r.get("expected_purchases", 0.0),
                "net_contribution": r.get("net_contribution", 0.0),
            }
        )
    grid_frame = report_frame(data, "rfm_grid")
    if filters.segment and grid_frame.height:
        grid_frame = grid_frame.filter(pl.col("segment") == filters.segment)
    counts: dict[tuple[int, int], int] = {}
    for r in grid_frame.to_dicts():
        key = (r["r_score"], r["f_score"])
        counts[key] = counts.get(key, 0) + r["customers"]
    grid = [
        {
            "r": r,
            "cells": [
                {
                    "f": f,
                    "customers": counts.get((r, f), 0),
                    "segment": str(SEGMENT_GRID[r][f - 1]),
                    "label": Segment(SEGMENT_GRID[r][f - 1]).label,
                }
                for f in range(1, 6)
            ],
        }
        for r in range(5, 0, -1)
    ]
    return {"rows": rows, "total": total, "grid": grid, "grid_max": max(counts.values(), default=0)}


def overview(filters: Filters | None = None) -> dict[str, Any]:
    """Headline figures for the dashboard index (for the selected segment, if any)."""
    segment = filters.segment if filters else ""
    data = report(ReportKind.SCORES)
    by_segment = report_frame(data, "by_segment")
    churn = report_frame(data, "churn_risk")
    if segment and by_segment.height:
        by_segment = by_segment.filter(pl.col("segment") == segment)
        churn = churn.filter(pl.col("segment") == segment) if churn.height else churn
    if not by_segment.height:
        return {}
    sums = by_segment.select(pl.all().exclude("segment").sum()).to_dicts()[0]
    n = sums["customers"]
    high = (
        int(churn.filter(pl.col("churn_risk_band") == ChurnRiskBand.HIGH)["customers"].sum())
        if churn.height
        else 0
    )
    pareto = next((p for p in data.get("pareto", []) if p["segment"] == segment), {})
    return {
        "customers": n,
        "revenue": sums["revenue"],
        "clv": sums["clv"],
        "expected_purchases": sums["expected_purchases"],
        "repeat_rate": ratio(sums["repeaters"], n),
        "high_churn_share": ratio(high, sums.get("forecast", n)),  # None without forecasts
        "net_contribution": sums["net_contribution"],
        "top20_profit_share": pareto.get("profit_share"),
    }
