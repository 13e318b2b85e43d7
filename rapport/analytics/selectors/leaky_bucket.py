"""The leaky-bucket page: cohort retention, churn reasons and destinations, churn risk."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db.models import Count

from rapport.analytics.choices import ChurnDestination, ChurnReason, ChurnRiskBand, ReportKind
from rapport.analytics.models import ChurnRecord
from rapport.analytics.selectors.common import (
    Filters,
    add_months,
    band_counts,
    ratio,
    report,
    report_frame,
)

COHORT_MONTHS = 24  # columns of the heat map: months since the first purchase


def month_in_progress(as_of: date) -> date | None:
    """The first day of `as_of`'s month when the observation ends before that month does."""
    return None if (as_of + timedelta(days=1)).day == 1 else as_of.replace(day=1)


def cohorts(filters: Filters, as_of: date) -> dict[str, Any]:
    """Share of each first-purchase cohort buying again k months later (k = 0 .. 23). A month
    the observation has covered and in which nobody bought is 0, not blank; months after the
    observation end are None (not yet observed); the month of the observation end, when it is
    not over yet, is flagged (its share only counts the days so far)."""
    cells = report_frame(report(ReportKind.COHORTS), "cells")
    if not cells.height:
        return {"rows": [], "offsets": [], "partial_days": None}
    cells = cells.filter((pl.col("cohort") >= filters.start) & (pl.col("cohort") <= filters.end))
    if filters.segment and "segment" in cells.columns:
        cells = cells.filter(pl.col("segment") == filters.segment)
    if "segment" in cells.columns:  # summed over the segments
        cells = cells.group_by("cohort", "offset").agg(pl.col("customers").sum())
    last = as_of.year * 12 + as_of.month - 1  # the last month the observation reaches
    partial = month_in_progress(as_of) is not None
    rows = []
    for (cohort,), part in cells.sort("cohort").group_by("cohort", maintain_order=True):
        values = dict(zip(part["offset"].to_list(), part["customers"].to_list(), strict=True))
        size = values.get(0, 0)
        start = int(cohort[:4]) * 12 + int(cohort[5:7]) - 1
        observed = last - start  # the offset of the observation end's month
        rows.append(
            {
                "cohort": cohort[:7],
                "customers": size,
                "shares": [
                    ratio(values.get(k, 0), size) if k <= observed else None
                    for k in range(COHORT_MONTHS)
                ],
                "partial": observed if partial and 0 <= observed < COHORT_MONTHS else None,
                "observed": observed,
            }
        )
    width = min(max((r["observed"] for r in rows), default=-1) + 1, COHORT_MONTHS)
    for r in rows:
        r["shares"] = r["shares"][:width]
        r["cells"] = [{"share": v, "partial": k == r["partial"]} for k, v in enumerate(r["shares"])]
    return {
        "rows": rows,
        "offsets": list(range(width)),
        "partial_days": as_of.day if partial else None,
        "as_of": as_of,
    }


def _aware(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def churn_reasons(filters: Filters) -> dict[str, Any]:
    """Churn records in the period (by when they were recorded): counts by reason and, for each
    reason, where the customers went; plus the latest records."""
    qs = ChurnRecord.objects.all()
    if filters.period_from:
        qs = qs.filter(recorded_at__gte=_aware(filters.period_from.replace(day=1)))
    if filters.period_to:
        qs = qs.filter(recorded_at__lt=_aware(add_months(filters.period_to.replace(day=1), 1)))
    if filters.segment:
        qs = qs.filter(customer__score__segment=filters.segment)
    counts: dict[tuple[str, str], int] = {
        (r["reason"], r["destination"]): r["n"]
        for r in qs.values("reason", "destination").annotate(n=Count("id")).order_by()
    }
    reasons = [
        {
            "reason": reason,
            "label": label,
            "count": sum(n for (r, _), n in counts.items() if r == reason),
            "destinations": [counts.get((reason, d), 0) for d in ChurnDestination.values],
        }
        for reason, label in ChurnReason.choices
    ]
    latest = list(qs.select_related("customer", "recorded_by").order_by("-recorded_at")[:20])
    return {
        "reasons": reasons,
        "total": sum(counts.values()),
        "destinations": [{"value": v, "label": label} for v, label in ChurnDestination.choices],
        "latest": latest,
    }


def churn_risk(filters: Filters) -> list[dict[str, Any]]:
    """Customers per churn-risk band (for the segment filter)."""
    frame = report_frame(report(ReportKind.SCORES), "churn_risk")
    return band_counts(frame, "churn_risk_band", ChurnRiskBand, filters.segment)
