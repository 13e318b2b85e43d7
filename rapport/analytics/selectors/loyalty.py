"""The loyalty and trust page: repeat buying, days between purchases, trust levels."""

from __future__ import annotations

from typing import Any

import polars as pl

from rapport.analytics.choices import ReportKind, Segment, TrustLevel
from rapport.analytics.selectors.common import (
    SEGMENTS,
    Filters,
    band_counts,
    ratio,
    report_frame,
    reports,
    segment_rows,
)
from rapport.analytics.services.rules import INTERVAL_BINS


def interval_labels() -> list[str]:
    bounds = [0, *INTERVAL_BINS]
    labels = [f"{bounds[i] + 1}–{bounds[i + 1]}" for i in range(len(INTERVAL_BINS))]
    return [*labels, f"{INTERVAL_BINS[-1] + 1}+"]


def loyalty(filters: Filters) -> dict[str, Any]:
    """Repeat-purchase rate per segment, purchase-interval distribution, trust-level shares."""
    data = reports(ReportKind.SCORES, ReportKind.LOYALTY)
    scores, loyal = data[ReportKind.SCORES], data[ReportKind.LOYALTY]
    by_segment = segment_rows(report_frame(scores, "by_segment"))
    repeat = [
        {
            "segment": s,
            "label": Segment(s).label,
            "customers": (r := by_segment.get(s) or {}).get("customers", 0),
            "repeaters": r.get("repeaters", 0),
            "repeat_rate": ratio(r.get("repeaters"), r.get("customers")),
        }
        for s in SEGMENTS
        if not filters.segment or s == filters.segment
    ]
    n = sum(r["customers"] for r in repeat)
    hist = report_frame(loyal, "histogram")
    if filters.segment and hist.height:
        hist = hist.filter(pl.col("segment") == filters.segment)
    counts = [0] * (len(INTERVAL_BINS) + 1)
    for r in hist.to_dicts():
        counts[r["bin"]] += r["intervals"]
    medians = report_frame(loyal, "medians")
    median_rows = [
        {**r, "label": Segment(r["segment"]).label if r["segment"] else ""}
        for r in medians.to_dicts()
        if (r["segment"] == filters.segment) or (not filters.segment and r["segment"])
    ]
    overall = next((r for r in medians.to_dicts() if r["segment"] == filters.segment), None)
    trust = band_counts(report_frame(scores, "trust"), "trust_level", TrustLevel, filters.segment)
    return {
        "repeat": repeat,
        "repeat_rate": ratio(sum(r["repeaters"] for r in repeat), n),
        "customers": n,
        "intervals": list(zip(interval_labels(), counts, strict=True)),
        "interval_total": sum(counts),
        "medians": median_rows,
        "overall": overall,
        "trust": trust,
    }
