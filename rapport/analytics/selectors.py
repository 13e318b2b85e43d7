"""Reads for the analytics pages, the customer page and the API.

The dashboards read the reports the refresh precomputed (one small row per page) and filter or
re-aggregate them in polars; only churn records and customer names are read live.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from django.conf import settings
from django.db.models import Count, QuerySet

from rapport.analytics.choices import (
    ChurnDestination,
    ChurnReason,
    ChurnRiskBand,
    ReportKind,
    Segment,
    SwitchingCostBand,
    TrustLevel,
)
from rapport.analytics.models import ChurnRecord, CustomerScore, ModelFit, Report
from rapport.analytics.services.rules import INTERVAL_BINS, SEGMENT_GRID

SEGMENTS = list(Segment.values)
CARD_FIELDS = (
    "customer_id",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv",
    "churn_risk",
    "churn_risk_band",
    "trust_level",
    "switching_cost_band",
    "computed_at",
)


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
    start = _add_months(end, -(months - 1))
    return start, end


def _add_months(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


# --- The customer page, lists and the API ---------------------------------------------------


def _card(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "segment_label": str(Segment(row["segment"]).label),
        "churn_risk_label": str(ChurnRiskBand(row["churn_risk_band"]).label),
        "trust_label": str(TrustLevel(row["trust_level"]).label),
        "switching_cost_label": str(SwitchingCostBand(row["switching_cost_band"]).label),
    }


def customer_analytics(*, customer_id: int) -> dict[str, Any] | None:
    """The customer's segment (and label), P(alive), expected purchases, expected average order,
    CLV, churn risk band, trust level and when they were computed; None before their first
    purchase or the first refresh. Two queries."""
    row = CustomerScore.objects.filter(pk=customer_id).values(*CARD_FIELDS).first()
    if row is None:
        return None
    fit = ModelFit.objects.order_by("-computed_at").values("horizon_weeks", "as_of").first()
    return {
        **_card(row),
        "horizon_weeks": fit["horizon_weeks"] if fit else None,
        "as_of": fit["as_of"] if fit else None,
    }


def scores_for(customer_ids: list[int] | set[int] | tuple[int, ...]) -> dict[int, dict[str, Any]]:
    """{customer_id: the same dict as customer_analytics} for a list page, in one query."""
    rows = CustomerScore.objects.filter(pk__in=list(customer_ids)).values(*CARD_FIELDS)
    return {row["customer_id"]: _card(row) for row in rows}


def filter_customers_by_segment(qs: QuerySet, segment: str) -> QuerySet:
    """Customers of `qs` in `segment` ("" leaves qs as it is; an unknown segment matches none)."""
    if not segment:
        return qs
    if segment not in SEGMENTS:
        return qs.none()
    return qs.filter(score__segment=segment)


# --- Shared -------------------------------------------------------------------------------


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


def _frame(data: dict[str, Any], key: str) -> pl.DataFrame:
    columns = data.get(key) or {}
    return (
        pl.DataFrame(columns)
        if columns and next(iter(columns.values()), None) is not None
        else pl.DataFrame()
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _segment_rows(by_segment: pl.DataFrame) -> dict[str, dict[str, Any]]:
    rows = {r["segment"]: r for r in by_segment.to_dicts()} if by_segment.height else {}
    return rows


def _names(ids: list[int]) -> dict[int, str]:
    from rapport.customers.models import Customer

    return dict(Customer.objects.filter(pk__in=ids).values_list("id", "display_name"))


# --- Dashboard index and segments -------------------------------------------------------------


def segment_summary(filters: Filters) -> dict[str, Any]:
    """Per segment: customers, share, revenue, net spend, CLV (total and mean), mean P(alive),
    repeat rate, net contribution — plus the RFM grid (R rows 5..1, F columns 1..5)."""
    data = report(ReportKind.SCORES)
    by_segment = _segment_rows(_frame(data, "by_segment"))
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
                "share": _ratio(n, total),
                "revenue": r.get("revenue", 0.0),
                "net_spend": r.get("monetary", 0.0),
                "clv": r.get("clv", 0.0),
                "clv_mean": _ratio(r.get("clv"), n),
                "p_alive_mean": _ratio(r.get("p_alive"), n),
                "repeat_rate": _ratio(r.get("repeaters"), n),
                "expected_purchases": r.get("expected_purchases", 0.0),
                "net_contribution": r.get("net_contribution", 0.0),
            }
        )
    grid_frame = _frame(data, "rfm_grid")
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
    by_segment = _frame(data, "by_segment")
    churn = _frame(data, "churn_risk")
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
        "repeat_rate": _ratio(sums["repeaters"], n),
        "high_churn_share": _ratio(high, n),
        "net_contribution": sums["net_contribution"],
        "top20_profit_share": pareto.get("profit_share"),
    }


# --- Future -------------------------------------------------------------------------------

PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "gamma_gamma": ("p", "q", "gamma"),
}


def future(filters: Filters, fit: ModelFit) -> dict[str, Any]:
    """Fitted parameters with SEs, the holdout comparison, P(alive) distribution, top CLV."""
    models = []
    for name, names in PARAMS.items():
        result = getattr(fit, name) or {}
        params, ses = result.get("params") or {}, result.get("standard_errors") or {}
        models.append(
            {
                "model": name,
                "log_likelihood": result.get("log_likelihood"),
                "converged": result.get("converged"),
                "error": result.get("error"),
                "comparison": result.get("comparison"),
                "notes": result.get("notes"),
                "params": [{"name": p, "estimate": params.get(p), "se": ses.get(p)} for p in names],
            }
        )
    holdout = fit.holdout or {}
    chart = None
    if (bg := holdout.get("bgnbd")) and bg.get("chart"):
        chart = {
            "labels": bg["chart"]["labels"],
            "actual": bg["chart"]["actual"],
            "bgnbd": bg["chart"]["predicted"],
            "customers": bg["chart"]["customers"],
            "pareto_nbd": (holdout.get("pareto_nbd") or {}).get("chart", {}).get("predicted"),
        }
    data = report(ReportKind.SCORES)
    alive = _frame(data, "p_alive")
    if filters.segment and alive.height:
        alive = alive.filter(pl.col("segment") == filters.segment)
    hist = [0] * 10
    for r in alive.to_dicts():
        hist[r["bin"]] += r["customers"]
    return {
        "models": models,
        "holdout": holdout,
        "holdout_chart": chart,
        "p_alive_histogram": hist,
        "top": top_customers(data, "top_clv", filters.segment),
    }


def top_customers(data: dict[str, Any], key: str, segment: str) -> list[dict[str, Any]]:
    top = _frame(data, key)
    if not top.height:
        return []
    rows = top.filter(pl.col("group") == segment).to_dicts()
    names = _names([r["customer_id"] for r in rows])
    return [
        {**r, "name": names.get(r["customer_id"], ""), "segment_label": Segment(r["segment"]).label}
        for r in rows
    ]


# --- Leaky bucket -------------------------------------------------------------------------

COHORT_MONTHS = 24  # columns of the heat map: months since the first purchase


def cohorts(filters: Filters) -> dict[str, Any]:
    """Share of each first-purchase cohort buying again k months later (k = 0 .. 23)."""
    cells = _frame(report(ReportKind.COHORTS), "cells")
    if not cells.height:
        return {"rows": [], "offsets": []}
    cells = cells.filter((pl.col("cohort") >= filters.start) & (pl.col("cohort") <= filters.end))
    if filters.segment and "segment" in cells.columns:
        cells = cells.filter(pl.col("segment") == filters.segment)
    if "segment" in cells.columns:  # summed over the segments
        cells = cells.group_by("cohort", "offset").agg(pl.col("customers").sum())
    rows = []
    for (cohort,), part in cells.sort("cohort").group_by("cohort", maintain_order=True):
        values = dict(zip(part["offset"].to_list(), part["customers"].to_list(), strict=True))
        size = values.get(0, 0)
        rows.append(
            {
                "cohort": cohort[:7],
                "customers": size,
                "shares": [
                    _ratio(values.get(k), size) if values.get(k) is not None else None
                    for k in range(COHORT_MONTHS)
                ],
            }
        )
    width = min(int(cells["offset"].max() or 0) + 1, COHORT_MONTHS) if cells.height else 0
    for r in rows:
        r["shares"] = r["shares"][:width]
    return {"rows": rows, "offsets": list(range(width))}


def _aware(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def churn_reasons(filters: Filters) -> dict[str, Any]:
    """Churn records in the period (by when they were recorded): counts by reason and, for each
    reason, where the customers went; plus the latest records."""
    qs = ChurnRecord.objects.all()
    if filters.period_from:
        qs = qs.filter(recorded_at__gte=_aware(filters.period_from.replace(day=1)))
    if filters.period_to:
        qs = qs.filter(recorded_at__lt=_aware(_add_months(filters.period_to.replace(day=1), 1)))
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
    frame = _frame(report(ReportKind.SCORES), "churn_risk")
    return _band_counts(frame, "churn_risk_band", ChurnRiskBand, filters.segment)


def _band_counts(
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
            "share": _ratio(counts.get(v, 0), total),
        }
        for v, label in choices.choices
    ]


# --- Loyalty and trust ----------------------------------------------------------------------


def interval_labels() -> list[str]:
    bounds = [0, *INTERVAL_BINS]
    labels = [f"{bounds[i] + 1}–{bounds[i + 1]}" for i in range(len(INTERVAL_BINS))]
    return [*labels, f"{INTERVAL_BINS[-1] + 1}+"]


def loyalty(filters: Filters) -> dict[str, Any]:
    """Repeat-purchase rate per segment, purchase-interval distribution, trust-level shares."""
    data = reports(ReportKind.SCORES, ReportKind.LOYALTY)
    scores, loyal = data[ReportKind.SCORES], data[ReportKind.LOYALTY]
    by_segment = _segment_rows(_frame(scores, "by_segment"))
    repeat = [
        {
            "segment": s,
            "label": Segment(s).label,
            "customers": (r := by_segment.get(s) or {}).get("customers", 0),
            "repeaters": r.get("repeaters", 0),
            "repeat_rate": _ratio(r.get("repeaters"), r.get("customers")),
        }
        for s in SEGMENTS
        if not filters.segment or s == filters.segment
    ]
    n = sum(r["customers"] for r in repeat)
    hist = _frame(loyal, "histogram")
    if filters.segment and hist.height:
        hist = hist.filter(pl.col("segment") == filters.segment)
    counts = [0] * (len(INTERVAL_BINS) + 1)
    for r in hist.to_dicts():
        counts[r["bin"]] += r["intervals"]
    medians = _frame(loyal, "medians")
    median_rows = [
        {**r, "label": Segment(r["segment"]).label if r["segment"] else ""}
        for r in medians.to_dicts()
        if (r["segment"] == filters.segment) or (not filters.segment and r["segment"])
    ]
    overall = next((r for r in medians.to_dicts() if r["segment"] == filters.segment), None)
    trust = _band_counts(_frame(scores, "trust"), "trust_level", TrustLevel, filters.segment)
    return {
        "repeat": repeat,
        "repeat_rate": _ratio(sum(r["repeaters"] for r in repeat), n),
        "customers": n,
        "intervals": list(zip(interval_labels(), counts, strict=True)),
        "interval_total": sum(counts),
        "medians": median_rows,
        "overall": overall,
        "trust": trust,
    }


# --- Profit and performance -----------------------------------------------------------------


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


def profit(filters: Filters) -> dict[str, Any]:
    """Revenue, gross margin, cost to serve and net contribution per segment in the period, growth
    against the previous period of the same length, monthly series, the top-20 % profit share
    and the top customers."""
    data = reports(ReportKind.PROFIT, ReportKind.SCORES)
    sales, service = (
        _frame(data[ReportKind.PROFIT], "sales"),
        _frame(data[ReportKind.PROFIT], "service"),
    )
    scores = data[ReportKind.SCORES]
    sizes = {r["segment"]: r["customers"] for r in _frame(scores, "by_segment").to_dicts()}
    now = _period_sums(sales, service, filters.start, filters.end, filters.segment)
    months = filters.months()
    prev = None
    if months and filters.period_from:
        first = filters.period_from.replace(day=1)
        prev = _period_sums(
            sales,
            service,
            _add_months(first, -months).isoformat(),
            _add_months(first, -1).isoformat(),
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
        "monthly": _monthly(sales, service, filters),
        "pareto": pareto,
        "deciles": [
            d
            for d in _frame(scores, "deciles").to_dicts()
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
        "margin_rate": _ratio(margin, revenue),
        "cost_to_serve": serve,
        "net_contribution": margin - serve,
        "net_per_customer": _ratio(margin - serve, customers),
    }


def _monthly(sales: pl.DataFrame, service: pl.DataFrame, filters: Filters) -> dict[str, list[Any]]:
    if not sales.height:
        return {"months": [], "revenue": [], "gross_margin": [], "net_contribution": []}
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
    return {
        "months": [x[:7] for x in m["month"].to_list()],
        "revenue": m["revenue"].to_list(),
        "gross_margin": margin.to_list(),
        "net_contribution": (margin - m["amount"]).to_list(),
    }


# --- Products -------------------------------------------------------------------------------

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
    names = {r["product_id"]: r for r in _frame(data, "products").to_dicts()}

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

    first = _frame(data, "first_products")
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
        "pairs": _pair_rows(_frame(data, "pairs"), names),
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
    sales = _frame(data, "returns")
    figures = ("lines", "quantity", "returned", "refund", "returns")
    if "orders" in sales.columns:
        figures = (*figures, "orders")
    frame = (
        selected(sales).group_by("product_id").agg(pl.col(*figures).sum())
        if sales.height
        else pl.DataFrame(schema={"product_id": pl.Int64, "quantity": pl.Float64})
    )
    frame = frame.with_columns((pl.col("returned") / pl.col("quantity")).alias("return_rate"))
    worst = pl.col("return_rate")
    if complaints_known:
        complaints = _frame(data, "complaints")
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


# --- Promotions -----------------------------------------------------------------------------


def promotion(filters: Filters) -> dict[str, Any]:
    """Buyers whose first purchase used a promotion code against buyers without one, exactly
    matched on first-purchase month and first-purchase value band; the control outcomes are
    reweighted to the promotion buyers' cells (the effect on those who used a promotion)."""
    data = report(ReportKind.PROMOTION)
    cells = _frame(data, "cells")
    empty = {"overall": None, "bands": [], "band_cuts": data.get("band_cuts", [])}
    if not cells.height:
        return empty
    cells = cells.filter((pl.col("month") >= filters.start) & (pl.col("month") <= filters.end))
    treated = cells.filter(pl.col("promo") == 1).drop("promo")
    control = cells.filter(pl.col("promo") == 0).drop("promo")
    matched = treated.join(control, on=["month", "band"], suffix="_c")
    overall = _matched_effect(matched)
    if overall is not None:
        overall["promo_buyers"] = int(treated["buyers"].sum())
        overall["unmatched"] = overall["promo_buyers"] - overall["matched"]
    bands = []
    for band in range(1, 6):
        effect = _matched_effect(matched.filter(pl.col("band") == band))
        if effect:
            bands.append({"band": band, **effect})
    return {"overall": overall, "bands": bands, "band_cuts": data.get("band_cuts", [])}


def _matched_effect(m: pl.DataFrame) -> dict[str, Any] | None:
    """Weighted difference (treated − reweighted control) in repeat rate and later spend, with
    standard errors from the cell variances; weights = treated buyers per cell."""
    if not m.height:
        return None
    w = m["buyers"].cast(pl.Float64)
    n1, n0 = w, m["buyers_c"].cast(pl.Float64)
    p1, p0 = m["repeaters"] / n1, m["repeaters_c"] / n0
    s1, s0 = m["spend"] / n1, m["spend_c"] / n0
    v1 = (m["spend_sq"] / n1 - s1**2).clip(lower_bound=0)
    v0 = (m["spend_sq_c"] / n0 - s0**2).clip(lower_bound=0)
    W = float(w.sum())
    rate_t, rate_c = float((w * p1).sum()) / W, float((w * p0).sum()) / W
    spend_t, spend_c = float((w * s1).sum()) / W, float((w * s0).sum()) / W
    se_rate = math.sqrt(float((w**2 * (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)).sum())) / W
    se_spend = math.sqrt(float((w**2 * (v1 / n1 + v0 / n0)).sum())) / W
    return {
        "matched": int(W),
        "controls": int(n0.sum()),
        "cells": m.height,
        "repeat_promo": rate_t,
        "repeat_control": rate_c,
        "repeat_diff": rate_t - rate_c,
        "repeat_ci": 1.96 * se_rate,
        "spend_promo": spend_t,
        "spend_control": spend_c,
        "spend_diff": spend_t - spend_c,
        "spend_ci": 1.96 * se_spend,
    }


# --- Switching cost -------------------------------------------------------------------------


def switching(filters: Filters) -> dict[str, Any]:
    """Retention (bought again within a year) by switching-cost band and by indicator, with the
    indicators measured a year before; and today's band shares (segment filter)."""
    data = reports(ReportKind.SWITCHING, ReportKind.SCORES)
    sw = data[ReportKind.SWITCHING]

    def rates(columns: dict[str, list[Any]] | None) -> list[dict[str, Any]]:
        frame = pl.DataFrame(columns) if columns else pl.DataFrame()
        return [{**r, "retention": _ratio(r["retained"], r["customers"])} for r in frame.to_dicts()]

    order = {v: i for i, v in enumerate(SwitchingCostBand.values)}
    bands = sorted(rates(sw.get("bands")), key=lambda r: order.get(r["level"], 9))
    for r in bands:
        r["label"] = SwitchingCostBand(r["level"]).label
    indicators = {k: rates(v) for k, v in (sw.get("indicators") or {}).items()}
    current = _band_counts(
        _frame(data[ReportKind.SCORES], "switching"),
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
