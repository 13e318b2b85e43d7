"""The reports the dashboards read (one Report row per page), built from the history the refresh
read and the new scores — so no page scans the order history."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from rapport.analytics.choices import (
    ChurnRiskBand,
    ReportKind,
    Segment,
    SwitchingCostBand,
    TrustLevel,
)
from rapport.analytics.services.arrays import (
    as_columns,
    customer_runs,
    month_dates,
    month_index,
    runs,
)
from rapport.analytics.services.history import History, categories_held
from rapport.analytics.services.products import products_report
from rapport.analytics.services.rules import (
    INTERVAL_BINS,
    SEGMENT_CODES,
    SWITCHING_BANDS,
    SWITCHING_LABELS,
    band,
    segment_codes,
    switching_points,
)
from rapport.analytics.services.sources import SWITCHING_COST_SOURCES, combined_sources

RETENTION_WINDOW_DAYS = 365


def build_reports(
    history: History, days: pl.DataFrame, scores: pl.DataFrame
) -> dict[str, dict[str, Any]]:
    """Every report kind's payload, from the history the refresh read and the new scores."""
    if not scores.height:
        return dict.fromkeys(ReportKind.values, {})
    segments = scores.select("customer_id", "segment", "purchase_days")
    return {
        ReportKind.SCORES: scores_report(scores),
        ReportKind.COHORTS: cohorts_report(days, segments),
        ReportKind.LOYALTY: loyalty_report(days, segments),
        ReportKind.PROFIT: profit_report(history.orders, history.service_cost, segments),
        ReportKind.PRODUCTS: products_report(history, days, segments),
        ReportKind.PROMOTION: promotion_report(days),
        ReportKind.SWITCHING: switching_report(history, days),
    }


def _share_of_top(values: pl.Series, share: float = 0.2) -> float | None:
    """The share of the total that the top `share` of customers hold (None if total <= 0)."""
    total = float(values.sum())
    if values.len() == 0 or total <= 0:
        return None
    k = max(1, math.ceil(share * values.len()))
    return float(values.sort(descending=True).head(k).sum()) / total


def scores_report(scores: pl.DataFrame) -> dict[str, Any]:
    """Counts and sums by segment, the RFM grid, distributions, and the top-20 % profit share."""
    scores = scores.with_columns(  # small enums group far faster than strings
        pl.col("segment").cast(pl.Enum(Segment.values)),
        pl.col("churn_risk_band").cast(pl.Enum(["", *ChurnRiskBand.values])),  # "": no model
        pl.col("trust_level").cast(pl.Enum(TrustLevel.values)),
        pl.col("switching_cost_band").cast(pl.Enum(SwitchingCostBand.values)),
    )
    by_segment = scores.group_by("segment").agg(
        pl.len().alias("customers"),
        pl.col("p_alive").count().alias("forecast"),  # customers with a forecast
        pl.col("orders").sum(),
        (pl.col("purchase_days") >= 2).sum().alias("repeaters"),
        pl.col(
            "revenue",
            "monetary",
            "gross_margin",
            "cost_to_serve",
            "net_contribution",
            "clv",
            "p_alive",
            "expected_purchases",
        ).sum(),
    )
    grid = scores.group_by("r_score", "f_score", "segment").agg(
        pl.len().alias("customers"),
        pl.col("monetary").sum(),
        pl.col("clv").sum(),
    )
    alive_bin = (pl.col("p_alive") * 10).floor().clip(0, 9).cast(pl.Int64).alias("bin")
    p_alive = (
        scores.filter(pl.col("p_alive").is_not_null())
        .group_by("segment", alive_bin)
        .agg(pl.len().alias("customers"))
    )

    def counts(column: str) -> dict[str, list[Any]]:
        return as_columns(scores.group_by("segment", column).agg(pl.len().alias("customers")))

    pareto = [
        {
            "segment": "",
            "customers": scores.height,
            "profit_share": _share_of_top(scores["net_contribution"]),
            "revenue_share": _share_of_top(scores["revenue"]),
        }
    ] + [
        {
            "segment": seg,
            "customers": part.height,
            "profit_share": _share_of_top(part["net_contribution"]),
            "revenue_share": _share_of_top(part["revenue"]),
        }
        for (seg,), part in scores.group_by("segment")
    ]
    ranked = scores.select(pl.col("segment").cast(pl.String), "net_contribution").sort(
        "net_contribution", descending=True
    )
    rank = pl.int_range(pl.len()).over("segment")  # in the frame's order: most profitable first
    deciles = (  # over all customers (segment "") and within each segment
        pl.concat([ranked.with_columns(pl.lit("").alias("segment")), ranked])
        .with_columns((rank * 10 // pl.len().over("segment") + 1).alias("decile"))
        .group_by("segment", "decile")
        .agg(pl.len().alias("customers"), pl.col("net_contribution").sum())
    )
    return {
        "by_segment": as_columns(by_segment),
        "rfm_grid": as_columns(grid),
        "top_clv": as_columns(_top(scores, "clv")),
        "top_profit": as_columns(_top(scores, "net_contribution")),
        "p_alive": as_columns(p_alive),
        "churn_risk": counts("churn_risk_band"),
        "trust": counts("trust_level"),
        "switching": counts("switching_cost_band"),
        "pareto": pareto,
        "deciles": as_columns(deciles.sort("segment", "decile")),
    }


TOP_CUSTOMERS = 25


def _top(scores: pl.DataFrame, column: str) -> pl.DataFrame:
    """The TOP_CUSTOMERS customers by `column`, overall (group "") and within each segment."""
    keep = scores.select(
        "customer_id",
        "segment",
        "clv",
        "p_alive",
        "expected_purchases",
        "revenue",
        "net_contribution",
    )
    parts = [
        keep.top_k(TOP_CUSTOMERS, by=column)
        .sort(column, descending=True)
        .with_columns(pl.lit("").alias("group"))
    ]
    for segment in keep["segment"].unique().sort().to_list():
        part = keep.filter(pl.col("segment") == segment)
        parts.append(
            part.top_k(TOP_CUSTOMERS, by=column)
            .sort(column, descending=True)
            .with_columns(pl.lit(segment).alias("group"))
        )
    return pl.concat(parts).select("group", *keep.columns)


def cohorts_report(days: pl.DataFrame, segments: pl.DataFrame) -> dict[str, Any]:
    """Customers active in each month since their first purchase month, per first-purchase month
    and segment today (segment "" for customers not scored)."""
    if not days.height:
        return {"cells": {}}
    customer, month = days["customer_id"].to_numpy(), month_index(days["day"])
    fresh = np.r_[True, (customer[1:] != customer[:-1]) | (month[1:] != month[:-1])]
    customer, month = customer[fresh], month[fresh]  # each customer's distinct months, in order
    firsts = runs(customer)
    cohort = np.repeat(month[firsts], np.diff(np.r_[firsts, len(month)]))
    group = segment_codes(segments, customer) + 1  # 0: not scored
    groups = len(SEGMENT_CODES) + 1
    base, offset = cohort.min(), month - cohort
    width = int(offset.max()) + 1
    counts = np.bincount(((cohort - base) * groups + group) * width + offset)
    cell = np.flatnonzero(counts)
    frame = pl.DataFrame(
        {
            "cohort": month_dates(cell // (width * groups) + base),
            "segment": pl.Series(
                np.array(["", *Segment.values], dtype=object)[(cell // width) % groups],
                dtype=pl.String,
            ),
            "offset": cell % width,
            "customers": counts[cell],
        }
    )
    return {"cells": as_columns(frame)}


def loyalty_report(days: pl.DataFrame, segments: pl.DataFrame) -> dict[str, Any]:
    """Days between consecutive purchase days: histogram and median, per segment."""
    customer = days["customer_id"].to_numpy()
    day = (days["day"] - date(2000, 1, 1)).dt.total_days().to_numpy()
    same = customer[1:] == customer[:-1]
    gap, owner = np.diff(day)[same], customer[1:][same]
    seg = segment_codes(segments, owner)
    bins = np.searchsorted(np.array(INTERVAL_BINS), gap, side="left")  # gap <= bound → that bin
    n_bins = len(INTERVAL_BINS) + 1
    counts = np.bincount((seg + 1) * n_bins + bins, minlength=(len(SEGMENT_CODES) + 1) * n_bins)
    histogram = [
        (Segment.values[s], b, int(counts[(s + 1) * n_bins + b]))
        for s in range(len(SEGMENT_CODES))
        for b in range(n_bins)
        if counts[(s + 1) * n_bins + b]
    ]
    medians = [
        (
            "",
            float(np.median(gap)) if len(gap) else None,
            float(gap.mean()) if len(gap) else None,
            len(gap),
        )
    ]
    for name, code in SEGMENT_CODES.items():
        part = gap[seg == code]
        if len(part):
            medians.append((name, float(np.median(part)), float(part.mean()), len(part)))
    return {
        "bins": list(INTERVAL_BINS),
        "histogram": {
            "segment": [h[0] for h in histogram],
            "bin": [h[1] for h in histogram],
            "intervals": [h[2] for h in histogram],
        },
        "medians": {
            "segment": [m[0] for m in medians],
            "median": [m[1] for m in medians],
            "mean": [m[2] for m in medians],
            "intervals": [m[3] for m in medians],
        },
    }


def profit_report(
    orders: pl.DataFrame, service_cost: pl.DataFrame, segments: pl.DataFrame
) -> dict[str, Any]:
    """Revenue, cost of goods, orders and buyers per (month, segment), and cost to serve per
    (month, segment, kind) — summed over any month range by the profit page."""
    seg = segments.select("customer_id", "segment")
    sales = (
        orders.join(seg, on="customer_id")
        .group_by(pl.col("day").dt.truncate("1mo").alias("month"), "segment")
        .agg(
            pl.col("total").sum().alias("revenue"),
            pl.col("cost").sum(),
            pl.len().alias("orders"),
            pl.col("customer_id").n_unique().alias("buyers"),
        )
        .sort("month", "segment")
    )
    service = (
        service_cost.join(seg, on="customer_id")
        .group_by("month", "segment", "kind")
        .agg(pl.col("amount").sum())
        .sort("month", "segment", "kind")
    )
    return {"sales": as_columns(sales), "service": as_columns(service)}


PROMOTION_BANDS = 5


def promotion_report(days: pl.DataFrame) -> dict[str, Any]:
    """Cells of (first-purchase month, first-purchase value band, promotion used on the first
    purchase day): buyers, repeat buyers and later spend (sum and sum of squares)."""
    if not days.height:
        return {"cells": {}, "band_cuts": []}
    starts, sizes = customer_runs(days)
    value = days["v"].to_numpy()
    first_value = value[starts]
    later = np.add.reduceat(value, starts) - first_value
    cuts = [
        float(np.quantile(first_value, q / PROMOTION_BANDS, method="lower"))
        for q in range(1, PROMOTION_BANDS)
    ]
    band = np.searchsorted(np.array(cuts), first_value, side="left") + 1  # value <= cut → band
    per_customer = pl.DataFrame(
        {
            "month": days["day"].gather(starts).dt.truncate("1mo"),
            "band": band,
            "promo": days["promo"].gather(starts),
            "repeated": sizes >= 2,
            "later_spend": later,
        }
    )
    cells = (
        per_customer.group_by("month", "band", "promo")
        .agg(
            pl.len().alias("buyers"),
            pl.col("repeated").sum().alias("repeaters"),
            pl.col("later_spend").sum().alias("spend"),
            (pl.col("later_spend") ** 2).sum().alias("spend_sq"),
        )
        .sort("month", "band", "promo")
    )
    return {"cells": as_columns(cells), "band_cuts": cuts}


def switching_report(history: History, days: pl.DataFrame) -> dict[str, Any]:
    """Switching-cost indicators measured one year ago and whether each customer bought again
    in the year since: retention by band and by indicator (no look-ahead in the indicators)."""
    ref = history.as_of - timedelta(days=RETENTION_WINDOW_DAYS)
    before = days.filter(pl.col("day") <= ref)
    if not before.height:
        return {"reference_date": ref.isoformat(), "bands": {}, "indicators": {}}
    first = before.group_by("customer_id").agg(pl.col("day").min().alias("first_day"))
    retained = (
        days.filter(pl.col("day") > ref)
        .select("customer_id")
        .unique()
        .with_columns(pl.lit(True).alias("retained"))
    )
    facts = history.customers
    made = (
        facts.filter(pl.col("was_referred") & (pl.col("customer_since") <= ref))
        .group_by(pl.col("referred_by_id").alias("customer_id"))
        .agg(pl.len().cast(pl.Int64).alias("referrals_made"))
    )
    extra = combined_sources(SWITCHING_COST_SOURCES, ref, "points", "sum").rename(
        {"points": "extra_points"}
    )
    since = pl.when(pl.col("customer_since") <= ref).then(pl.col("customer_since"))
    frame = (
        first.join(facts.drop("referrals_made"), on="customer_id", how="left")
        .join(made, on="customer_id", how="left")
        .join(categories_held(history, until=ref), on="customer_id", how="left")
        .join(extra, on="customer_id", how="left")
        .join(retained, on="customer_id", how="left")
        .with_columns(
            pl.col("referrals_made", "categories_held").fill_null(0),
            pl.col("was_referred", "retained").fill_null(False),
            (pl.lit(ref) - pl.min_horizontal("first_day", since))
            .dt.total_days()
            .alias("tenure_days"),
        )
        .with_columns(switching_points().alias("switching_cost"))
        .with_columns(
            band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True).alias(
                "band"
            )
        )
    )

    def retention(key: pl.Expr) -> dict[str, list[Any]]:
        return as_columns(
            frame.group_by(key.alias("level"))
            .agg(pl.len().alias("customers"), pl.col("retained").sum())
            .sort("level")
        )

    tenure = band(pl.col("tenure_days"), (365, 1095), ("<1y", "1-3y", "3y+"))
    cats_level = band(pl.col("categories_held"), (1, 3), ("0-1", "2-3", "4+"), inclusive=True)
    referral = (
        pl.when(pl.col("was_referred") & (pl.col("referrals_made") > 0))
        .then(pl.lit("both"))
        .when(pl.col("was_referred"))
        .then(pl.lit("referred"))
        .when(pl.col("referrals_made") > 0)
        .then(pl.lit("referrer"))
        .otherwise(pl.lit("none"))
    )
    return {
        "reference_date": ref.isoformat(),
        "bands": retention(pl.col("band")),
        "points": retention(pl.col("switching_cost")),
        "indicators": {
            "tenure": retention(tenure),
            "categories": retention(cats_level),
            "referral": retention(referral),
        },
    }
