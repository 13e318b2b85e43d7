"""The per-customer purchase summary (in the database or in polars) and the models' inputs."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from django.conf import settings

from rapport.analytics import engine
from rapport.analytics.services.database import end_of, local_day_sql, read_frame
from rapport.analytics.services.history import refunds_by_order_sql
from rapport.analytics.services.names import counted_statuses, sql_names

SUMMARY_SCHEMA = {
    "customer_id": pl.Int64,
    "first_day": pl.Date,
    "last_day": pl.Date,
    "orders": pl.Int64,
    "purchase_days": pl.Int64,
    "revenue": pl.Float64,
    "cost": pl.Float64,
    "refund": pl.Float64,
    "value": pl.Float64,
    "first_value": pl.Float64,
    "cal_days": pl.Int64,
    "cal_last": pl.Date,
    "cal_value": pl.Float64,
}


def summary_sql(*, as_of: date, calibration_end: date) -> pl.DataFrame:
    """Per-customer purchase summary in ONE grouped query: orders → purchase days → customers.

    A purchase day's value is its orders' totals less the refunds on those orders, never below 0.
    Only the orders that count (`names.counted_statuses`). `cal_*` columns restrict to days on or before calibration_end.
    (The refresh's other strategy, `summary_polars`, gives the same frame from streamed rows.)
    """
    n = sql_names()
    day = local_day_sql(f"o.{n.ordered_at}")
    end, cal = end_of(as_of), calibration_end.isoformat()
    rest = f"""
        FROM (
            SELECT customer_id, d, n, revenue, cost, refund,
                   CASE WHEN revenue - refund > 0 THEN revenue - refund ELSE 0 END AS v,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY d) AS rn
            FROM (
                SELECT o.{n.order_customer} AS customer_id, {day} AS d, COUNT(*) AS n,
                       SUM(o.{n.order_total}) AS revenue, SUM(o.{n.order_cost}) AS cost,
                       SUM(COALESCE(f.refund, 0)) AS refund
                FROM {n.order} o
                LEFT JOIN ({refunds_by_order_sql()}) f ON f.order_id = o.{n.order_id}
                WHERE o.{n.order_status} IN ({n.counted}) AND o.{n.ordered_at} < %s
                GROUP BY 1, 2
            ) days
        ) valued
        GROUP BY customer_id
    """  # noqa: S608 - names from the models' _meta; values are bound parameters
    frame = read_frame(
        [
            ("customer_id", "int8", "customer_id"),
            ("first_day", "date", "MIN(d)"),
            ("last_day", "date", "MAX(d)"),
            ("orders", "int8", "SUM(n)"),
            ("purchase_days", "int8", "COUNT(*)"),
            ("revenue", "cents", "SUM(revenue)"),
            ("cost", "cents", "SUM(cost)"),
            ("refund", "cents", "SUM(refund)"),
            ("value", "cents", "SUM(v)"),
            ("first_value", "cents", "SUM(CASE WHEN rn = 1 THEN v ELSE 0 END)"),
            ("cal_days", "int8", "SUM(CASE WHEN d <= %s THEN 1 ELSE 0 END)"),
            ("cal_last", "date", "COALESCE(MAX(CASE WHEN d <= %s THEN d END), '9999-12-31')"),
            ("cal_value", "cents", "SUM(CASE WHEN d <= %s THEN v ELSE 0 END)"),
        ],
        rest,
        [cal, cal, cal, settings.TIME_ZONE, end, *counted_statuses(), end],
    )
    return _null_cal_last(frame).sort("customer_id")


def _null_cal_last(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("cal_days") > 0).then(pl.col("cal_last")).alias("cal_last")
    )


def purchase_days(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders collapsed to (customer, day), sorted: n, revenue, cost, refund, promo (any order
    with a code) and the netted value v = max(revenue − refund, 0). One sort, then aggregation
    over sorted runs (no hashing)."""
    key = pl.col("customer_id") * 2**20 + (pl.col("day") - pl.lit(date(2000, 1, 1))).dt.total_days()
    return (
        orders.select(key.alias("k"), "customer_id", "day", "total", "cost", "refund", "promo")
        .sort("k")
        .group_by("k", maintain_order=True)
        .agg(
            pl.col("customer_id").first(),
            pl.col("day").first(),
            pl.len().alias("n"),
            pl.col("total").sum().alias("revenue"),
            pl.col("cost").sum(),
            pl.col("refund").sum(),
            pl.col("promo").max(),
        )
        .drop("k")
        .with_columns(
            (pl.col("revenue") - pl.col("refund")).clip(lower_bound=0.0).alias("v"),
            pl.col("customer_id").set_sorted(),
        )
    )


def summary_polars(
    *, orders: pl.DataFrame, calibration_end: date, days: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The same summary as `summary_sql`, aggregated in polars from the orders of a History."""
    days = purchase_days(orders) if days is None else days
    cal = pl.col("day") <= calibration_end
    return _null_cal_last(
        days.group_by("customer_id", maintain_order=True)
        .agg(
            pl.col("day").first().alias("first_day"),
            pl.col("day").last().alias("last_day"),
            pl.col("n").sum().alias("orders"),
            pl.len().alias("purchase_days"),
            pl.col("revenue").sum(),
            pl.col("cost").sum(),
            pl.col("refund").sum(),
            pl.col("v").sum().alias("value"),
            pl.col("v").first().alias("first_value"),
            cal.sum().alias("cal_days"),
            pl.col("day").filter(cal).last().alias("cal_last"),
            pl.col("v").filter(cal).sum().alias("cal_value"),
        )
        .with_columns(pl.col("orders", "purchase_days", "cal_days").cast(pl.Int64))
        .select(list(SUMMARY_SCHEMA))
    )


def btyd_inputs(summary: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Add the buy-till-you-die inputs: frequency x, recency t_x and age T (weeks), monetary m_x
    (mean value of the repeat purchase days) and mean_value (mean value of all purchase days)."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("purchase_days") - 1
    return summary.with_columns(
        x.alias("frequency"),
        ((pl.col("last_day") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(as_of) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0)
        .then((pl.col("value") - pl.col("first_value")) / x)
        .otherwise(0.0)
        .alias("monetary"),
        (pl.col("value") / pl.col("purchase_days")).alias("mean_value"),
    )


def calibration_inputs(
    summary: pl.DataFrame, *, calibration_end: date, as_of: date
) -> pl.DataFrame:
    """The calibration/holdout frame the engine's `holdout_comparison` takes."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("cal_days") - 1
    return summary.filter(pl.col("cal_days") > 0).select(
        "customer_id",
        x.alias("frequency"),
        ((pl.col("cal_last") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(calibration_end) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0)
        .then((pl.col("cal_value") - pl.col("first_value")) / x)
        .otherwise(0.0)
        .alias("monetary"),
        (pl.col("purchase_days") - pl.col("cal_days")).alias("frequency_holdout"),
        pl.lit((as_of - calibration_end).days / week).alias("duration_holdout"),
    )


def validation_inputs(
    days: pl.DataFrame, *, as_of: date, horizon_weeks: float
) -> pl.DataFrame | None:
    """The calibration/holdout frame at the split inside the history that chooses the scoring
    model (engine.selection.validation_weeks: as long as the horizon, at most half of the
    history); None when the history is too short for one."""
    if not days.height:
        return None
    week = engine.summary.DAYS_PER_WEEK
    span = (as_of - days["day"].min()).days / week  # type: ignore[operator]
    weeks = engine.selection.validation_weeks(span, horizon_weeks)
    if not weeks:
        return None
    inner = as_of - timedelta(days=round(weeks * week))
    cal = pl.col("day") <= inner
    return (
        days.group_by("customer_id", maintain_order=True)
        .agg(
            pl.col("day").first().alias("first_day"),
            pl.col("day").filter(cal).last().alias("last_day"),
            cal.sum().alias("cal_days"),
            (~cal).sum().alias("frequency_holdout"),
        )
        .filter(pl.col("cal_days") > 0)
        .select(
            "customer_id",
            (pl.col("cal_days") - 1).cast(pl.Int64).alias("frequency"),
            ((pl.col("last_day") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
            ((pl.lit(inner) - pl.col("first_day")).dt.total_days() / week).alias("T"),
            pl.col("frequency_holdout").cast(pl.Int64),
            pl.lit(round(weeks * week) / week).alias("duration_holdout"),
        )
    )
