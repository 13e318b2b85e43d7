"""The switching-cost page: retention by switching-cost band and indicator."""

from __future__ import annotations

from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind, SwitchingCostBand
from rapport.analytics.selectors.common import Filters, band_counts, ratio, report_frame, reports


def switching(filters: Filters) -> dict[str, Any]:
    """Retention (bought again within a year) by switching-cost band and by indicator, with the
    indicators measured a year before; and today's band shares (segment filter)."""
    data = reports(ReportKind.SWITCHING, ReportKind.SCORES)
    sw = data[ReportKind.SWITCHING]

    def rates(columns: dict[str, list[Any]] | None) -> list[dict[str, Any]]:
        frame = pl.DataFrame(columns) if columns else pl.DataFrame()
        return [{**r, "retention": ratio(r["retained"], r["customers"])} for r in frame.to_dicts()]

    order = {v: i for i, v in enumerate(SwitchingCostBand.values)}
    bands = sorted(rates(sw.get("bands")), key=lambda r: order.get(r["level"], 9))
    for r in bands:
        r["label"] = SwitchingCostBand(r["level"]).label
    indicators = {k: rates(v) for k, v in (sw.get("indicators") or {}).items()}
    current = band_counts(
        report_frame(data[ReportKind.SCORES], "switching"),
        "switching_cost_band",
        SwitchingCostBand,
        filters.segment,
    )
    return {
        "reference_date": sw.get("reference_date"),
        "bands": bands,
        "points": rates(sw.get("points")),
        "indicators": indicators,
        "current": current,
    }
