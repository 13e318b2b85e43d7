"""Shared by the dashboards' reads: the filters, the precomputed reports as polars frames,
and small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from rapport.analytics.choices import Segment
from rapport.analytics.models import ModelFit, Report

SEGMENTS = list(Segment.values)


@dataclass(frozen=True)
class Filters:
    """Period (whole months, inclusive) and segment, as the dashboards' filter form gives them."""

    period_from: date | None = None
    period_to: date | None = None
    segment: str = ""

    @property
    def start(self) -> str:
        return self.period_from.replace(day=1).isoformat() if self.period_from else "0000-01-01"

    @property
    def end(self) -> str:
        return self.period_to.replace(day=1).isoformat() if self.period_to else "9999-12-01"

    def months(self) -> int:
        """Length of the period in months (0 when open-ended)."""
        if not (self.period_from and self.period_to):
            return 0
        a, b = self.period_from, self.period_to
        return (b.year - a.year) * 12 + b.month - a.month + 1


def default_period(as_of: date, months: int = 12) -> tuple[date, date]:
    """The `months` whole months ending with the month of `as_of`."""
    end = as_of.replace(day=1)
    start = add_months(end, -(months - 1))
    return start, end


def add_months(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def latest_fit() -> ModelFit | None:
    return ModelFit.objects.order_by("-computed_at").first()


def report(kind: str, keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """A report's data; with `keys`, only those keys (the database extracts them: a large report
    is not sent and parsed whole for a part of it)."""
    if not keys:
        return Report.objects.filter(kind=kind).values_list("data", flat=True).first() or {}
    row = Report.objects.filter(kind=kind).values_list(*[f"data__{k}" for k in keys]).first()
    return dict(zip(keys, row, strict=True)) if row else {}


def reports(*kinds: str) -> dict[str, dict[str, Any]]:
    """Several reports in one query."""
    found = dict(Report.objects.filter(kind__in=kinds).values_list("kind", "data"))
    return {k: found.get(k) or {} for k in kinds}


def report_frame(data: dict[str, Any], key: str) -> pl.DataFrame:
    columns = data.get(key) or {}
    return (
        pl.DataFrame(columns)
        if columns and next(iter(columns.values()), None) is not None
        else pl.DataFrame()
    )


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def segment_rows(by_segment: pl.DataFrame) -> dict[str, dict[str, Any]]:
    rows = {r["segment"]: r for r in by_segment.to_dicts()} if by_segment.height else {}
    return rows


def customer_names(ids: list[int]) -> dict[int, str]:
    from rapport.customers.models import Customer

    return dict(Customer.objects.filter(pk__in=ids).values_list("id", "display_name"))


def top_customers(data: dict[str, Any], key: str, segment: str) -> list[dict[str, Any]]:
    top = report_frame(data, key)
    if not top.height:
        return []
    rows = top.filter(pl.col("group") == segment).to_dicts()
    names = customer_names([r["customer_id"] for r in rows])
    return [
        {**r, "name": names.get(r["customer_id"], ""), "segment_label": Segment(r["segment"]).label}
        for r in rows
    ]


def band_counts(
    frame: pl.DataFrame, column: str, choices: Any, segment: str
) -> list[dict[str, Any]]:
    if frame.height and segment:
        frame = frame.filter(pl.col("segment") == segment)
    counts = (
        dict(frame.group_by(column).agg(pl.col("customers").sum()).iter_rows())
        if frame.height
        else {}
    )
    total = sum(counts.values())
    return [
        {
            "value": v,
            "label": label,
            "customers": counts.get(v, 0),
            "share": ratio(counts.get(v, 0), total),
        }
        for v, label in choices.choices
    ]


def recent_events(limit: int = 5) -> list[Any]:
    """The latest things that happened to the analysis (refreshes asked for, done, failed)."""
    from rapport.analytics.models import AnalyticsEvent

    return list(AnalyticsEvent.objects.order_by("-time", "-id")[:limit])
