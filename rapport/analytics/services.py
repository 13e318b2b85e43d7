"""The analytics refresh (summary → fit → score → write → reports) and churn records.

The per-customer summary comes from ONE grouped query in the database (strategy "sql") or from the
order rows streamed into polars (strategy "polars"); every later step is vectorised (polars/numpy),
never a Python loop over customers. Definitions of every figure: docs/analytics.md.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.analytics import engine
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
from rapport.core.choices import ChangeAction
from rapport.core.services import record_change

log = logging.getLogger(__name__)

# --- Rules, as data -------------------------------------------------------------------------

# Segment by R (rows, 5 = bought most recently) and F (columns, 1..5). An "at risk" customer
# whose M score is 5 is "can't lose" instead (see `assign_segments`).
S = Segment
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    #    F=1            F=2                    F=3                    F=4          F=5
    5: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.CHAMPIONS, S.CHAMPIONS),
    4: (S.NEW, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    3: (S.HIBERNATING, S.POTENTIAL_LOYALISTS, S.POTENTIAL_LOYALISTS, S.LOYAL, S.LOYAL),
    2: (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
    1: (S.LOST, S.LOST, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),
}
CHURN_BANDS = (0.3, 0.7)  # churn risk < 0.3 low, < 0.7 medium, else high
DISSATISFIED_REFUND_SHARE = 0.2  # refunds above this share of revenue: not (yet) emotional trust
DISSATISFIED_BELOW = 3.5  # mean satisfaction (1–5) below this: not emotional trust
BEHAVIOURAL_MIN_DAYS, BEHAVIOURAL_MIN_TENURE, ACTIVE_WITHIN = 4, 365, 365
SWITCHING_BANDS = (1, 3)  # points <= 1 low, <= 3 medium, else high
RETENTION_WINDOW_DAYS = 365
HOLDOUT_WEEKS = 26
MIN_HOLDOUT_CUSTOMERS = 20
INTERVAL_BINS = (7, 14, 30, 60, 90, 180, 365)  # upper bounds in days; the last bin is 366+
STRATEGIES = ("auto", "sql", "polars")
_LOCK_KEY = 4_004_001  # PostgreSQL advisory lock: one refresh writes at a time

# --- Extension points -------------------------------------------------------------------------
# Other apps register sources here (in their AppConfig.ready). Each returns a polars frame.

# (end: aware datetime) -> customer_id, month (Date, first of month), amount: cost to serve.
CostToServeSource = Callable[[datetime], pl.DataFrame]
# (end) -> customer_id, satisfaction (mean answer on a 1–5 scale): gates emotional trust.
SatisfactionSource = Callable[[datetime], pl.DataFrame]
# (as_of: date) -> customer_id, points: membership level, points, active service commitments…
SwitchingCostSource = Callable[[date], pl.DataFrame]

COST_TO_SERVE_SOURCES: dict[str, CostToServeSource] = {}
SATISFACTION_SOURCES: dict[str, SatisfactionSource] = {}
SWITCHING_COST_SOURCES: dict[str, SwitchingCostSource] = {}


def register_cost_to_serve(kind: str, source: CostToServeSource) -> None:
    """Add a kind of cost to serve (complaint remedies, loyalty rewards) to every refresh."""
    COST_TO_SERVE_SOURCES[kind] = source


def register_satisfaction(name: str, source: SatisfactionSource) -> None:
    SATISFACTION_SOURCES[name] = source


def register_switching_cost(name: str, source: SwitchingCostSource) -> None:
    SWITCHING_COST_SOURCES[name] = source


# --- Reading the database into polars -----------------------------------------------------------


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _local_day_sql(column: str) -> str:
    """SQL for the local calendar day of an aware timestamp column (settings.TIME_ZONE)."""
    if _is_postgres():
        return f"({column} AT TIME ZONE %s)::date"
    return f"django_datetime_cast_date({column}, %s, 'UTC')"


def _query_frame(sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """Run `sql` and return its rows as a polars frame; PostgreSQL streams them with COPY."""
    if _is_postgres():
        with connection.cursor() as cursor:
            text = connection.ops.compose_sql(sql, params)
            buffer = io.BytesIO()
            with cursor.cursor.copy(f"COPY ({text}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
        if not buffer.tell():
            return pl.DataFrame(schema=schema)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)
    text_schema = {k: (pl.String if v in (pl.Date, pl.Datetime) else v) for k, v in schema.items()}
    parts: list[pl.DataFrame] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(250_000):
            parts.append(pl.DataFrame(rows, schema=text_schema, orient="row", strict=False))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=text_schema)
    dates = [k for k, v in schema.items() if v == pl.Date]
    return frame.with_columns(pl.col(c).str.slice(0, 10).str.to_date() for c in dates)


def _as_text(column: str) -> str:
    """A date column as ISO text on SQLite (no per-row conversion by the driver)."""
    return column if _is_postgres() else f"CAST({column} AS TEXT)"


def _end_of(as_of: date) -> datetime:
    """The first instant after `as_of` in the business's time zone."""
    return datetime.combine(as_of + timedelta(days=1), dtime.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


_REFUNDS_BY_ORDER = """
    SELECT l.order_id, SUM(r.refund_amount) AS refund
    FROM sales_return r JOIN sales_orderline l ON l.id = r.order_line_id
    GROUP BY l.order_id
"""

SUMMARY_SCHEMA = {
    "customer_id": pl.Int64, "first_day": pl.Date, "last_day": pl.Date, "orders": pl.Int64,
    "purchase_days": pl.Int64, "revenue": pl.Float64, "cost": pl.Float64, "refund": pl.Float64,
    "value": pl.Float64, "first_value": pl.Float64, "cal_days": pl.Int64, "cal_last": pl.Date,
    "cal_value": pl.Float64,
}


def summary_sql(*, as_of: date, calibration_end: date) -> pl.DataFrame:
    """Per-customer purchase summary in ONE grouped query: orders → purchase days → customers.

    A purchase day's value is its orders' totals less the refunds on those orders, never below 0.
    Cancelled orders are left out. `cal_*` columns restrict to days on or before calibration_end.
    """
    day = _local_day_sql("o.ordered_at")
    sql = f"""
        WITH refunds AS ({_REFUNDS_BY_ORDER}),
        days AS (
            SELECT o.customer_id, {day} AS d, COUNT(*) AS n, SUM(o.total) AS revenue,
                   SUM(o.cost) AS cost, SUM(COALESCE(f.refund, 0)) AS refund
            FROM sales_order o LEFT JOIN refunds f ON f.order_id = o.id
            WHERE o.status <> 'cancelled' AND o.ordered_at < %s
            GROUP BY 1, 2
        ),
        valued AS (
            SELECT customer_id, d, n, revenue, cost, refund,
                   CASE WHEN revenue - refund > 0 THEN revenue - refund ELSE 0 END AS v,
                   ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY d) AS rn
            FROM days
        )
        SELECT customer_id, MIN(d), MAX(d), SUM(n), COUNT(*), SUM(revenue), SUM(cost), SUM(refund),
               SUM(v), SUM(CASE WHEN rn = 1 THEN v ELSE 0 END),
               SUM(CASE WHEN d <= %s THEN 1 ELSE 0 END), MAX(CASE WHEN d <= %s THEN d END),
               SUM(CASE WHEN d <= %s THEN v ELSE 0 END)
        FROM valued GROUP BY customer_id
    """  # noqa: S608 - fixed SQL; values are bound parameters
    tz, cal = settings.TIME_ZONE, calibration_end.isoformat()
    params = [tz, _end_of(as_of), cal, cal, cal]
    return _query_frame(sql, params, SUMMARY_SCHEMA).sort("customer_id")


ORDER_SCHEMA = {
    "order_id": pl.Int64, "customer_id": pl.Int64, "day": pl.Date, "total": pl.Float64,
    "cost": pl.Float64, "refund": pl.Float64, "promo": pl.Int8,
}


def order_rows(*, as_of: date) -> pl.DataFrame:
    """Every non-cancelled order up to `as_of`: id, customer, local day, total, cost, refunds,
    whether it carried a promotion code — streamed, for polars to aggregate."""
    if _is_postgres():
        day, params = _local_day_sql("o.ordered_at"), [settings.TIME_ZONE]
        schema = ORDER_SCHEMA
    else:  # SQLite: the raw UTC text (the cast skips the driver's per-row datetime parsing);
        # polars converts it to the local day below, vectorised
        day, params = "CAST(o.ordered_at AS TEXT)", []
        schema = {**ORDER_SCHEMA, "day": pl.String}
    sql = f"""
        WITH refunds AS ({_REFUNDS_BY_ORDER})
        SELECT o.id, o.customer_id, {day}, o.total, o.cost, COALESCE(f.refund, 0),
               CASE WHEN o.promotion_code <> '' THEN 1 ELSE 0 END
        FROM sales_order o LEFT JOIN refunds f ON f.order_id = o.id
        WHERE o.status <> 'cancelled' AND o.ordered_at < %s
    """  # noqa: S608 - fixed SQL; values are bound parameters
    frame = _query_frame(sql, [*params, _end_of(as_of)], schema)
    if frame["day"].dtype == pl.String:
        frame = frame.with_columns(
            pl.col("day").str.slice(0, 19).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
            .dt.convert_time_zone(settings.TIME_ZONE).dt.date()
        )
    return frame


def purchase_days(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders collapsed to (customer, day) with n, revenue, cost, refund and the netted value v."""
    return (
        orders.group_by("customer_id", "day")
        .agg(
            pl.len().alias("n"), pl.col("total").sum().alias("revenue"),
            pl.col("cost").sum().alias("cost"), pl.col("refund").sum().alias("refund"),
        )
        .with_columns((pl.col("revenue") - pl.col("refund")).clip(lower_bound=0.0).alias("v"))
    )


def summary_polars(
    *, as_of: date, calibration_end: date, orders: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The same summary as `summary_sql`, aggregated in polars from streamed order rows."""
    orders = order_rows(as_of=as_of) if orders is None else orders
    cal = pl.col("day") <= calibration_end
    return (
        purchase_days(orders)
        .group_by("customer_id")
        .agg(
            pl.col("day").min().alias("first_day"), pl.col("day").max().alias("last_day"),
            pl.col("n").sum().alias("orders"), pl.len().alias("purchase_days"),
            pl.col("revenue").sum(), pl.col("cost").sum(), pl.col("refund").sum(),
            pl.col("v").sum().alias("value"), pl.col("v").sort_by("day").first().alias("first_value"),
            cal.sum().alias("cal_days"), pl.col("day").filter(cal).max().alias("cal_last"),
            pl.col("v").filter(cal).sum().alias("cal_value"),
        )
        .with_columns(pl.col("orders", "purchase_days", "cal_days").cast(pl.Int64))
        .select(list(SUMMARY_SCHEMA))
        .sort("customer_id")
    )


def customer_facts() -> pl.DataFrame:
    """customer_id, customer_since, referred_by_id, was_referred, referrals_made (all customers)."""
    frame = _query_frame(
        f"SELECT id, {_as_text('customer_since')}, referred_by_id FROM customers_customer", [],  # noqa: S608
        {"customer_id": pl.Int64, "customer_since": pl.Date, "referred_by_id": pl.Int64},
    )
    made = (
        frame.filter(pl.col("referred_by_id").is_not_null())
        .group_by("referred_by_id")
        .agg(pl.len().cast(pl.Int64).alias("referrals_made"))
        .rename({"referred_by_id": "customer_id"})
    )
    return (
        frame.join(made, on="customer_id", how="left")
        .with_columns(
            pl.col("referred_by_id").is_not_null().alias("was_referred"),
            pl.col("referrals_made").fill_null(0),
        )
    )


def categories_held(*, as_of: date) -> pl.DataFrame:
    """customer_id, categories_held: distinct product categories in non-cancelled orders."""
    sql = """
        SELECT t.customer_id, COUNT(*) FROM (
            SELECT DISTINCT o.customer_id, p.category
            FROM sales_orderline l
            JOIN sales_order o ON o.id = l.order_id
            JOIN sales_product p ON p.id = l.product_id
            WHERE o.status <> 'cancelled' AND o.ordered_at < %s AND p.category <> ''
        ) t GROUP BY t.customer_id
    """
    return _query_frame(
        sql, [_end_of(as_of)], {"customer_id": pl.Int64, "categories_held": pl.Int64}
    )


def _returns_cost(end: datetime) -> pl.DataFrame:
    """Cost to serve from returns: the refunds, by customer and month of the return."""
    month = _local_day_sql("r.returned_at")
    sql = f"""
        SELECT o.customer_id, {month}, SUM(r.refund_amount)
        FROM sales_return r
        JOIN sales_orderline l ON l.id = r.order_line_id
        JOIN sales_order o ON o.id = l.order_id
        WHERE r.returned_at < %s AND o.status <> 'cancelled'
        GROUP BY 1, 2
    """  # noqa: S608 - fixed SQL; values are bound parameters
    frame = _query_frame(
        sql, [settings.TIME_ZONE, end], {"customer_id": pl.Int64, "month": pl.Date, "amount": pl.Float64}
    )
    return frame.with_columns(pl.col("month").dt.truncate("1mo"))


register_cost_to_serve("returns", _returns_cost)


def cost_to_serve(*, as_of: date) -> pl.DataFrame:
    """customer_id, month, kind, amount from every registered source."""
    schema = {"customer_id": pl.Int64, "month": pl.Date, "kind": pl.String, "amount": pl.Float64}
    parts = [
        source(_end_of(as_of))
        .select(pl.col("customer_id").cast(pl.Int64), pl.col("month").cast(pl.Date),
                pl.lit(kind).alias("kind"), pl.col("amount").cast(pl.Float64))
        for kind, source in COST_TO_SERVE_SOURCES.items()
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def _extra(sources: dict[str, Callable[[Any], pl.DataFrame]], arg: Any, column: str,
           how: str) -> pl.DataFrame:
    """customer_id, column: the registered sources combined (summed or averaged)."""
    parts = [s(arg).select(pl.col("customer_id").cast(pl.Int64), pl.col(column).cast(pl.Float64))
             for s in sources.values()]
    if not parts:
        return pl.DataFrame(schema={"customer_id": pl.Int64, column: pl.Float64})
    agg = pl.col(column).sum() if how == "sum" else pl.col(column).mean()
    return pl.concat(parts).group_by("customer_id").agg(agg)


# --- From the summary to the models' inputs -----------------------------------------------------


def btyd_inputs(summary: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Add the buy-till-you-die inputs: frequency x, recency t_x and age T (weeks), monetary m_x
    (mean value of the repeat purchase days) and mean_value (mean value of all purchase days)."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("purchase_days") - 1
    return summary.with_columns(
        x.alias("frequency"),
        ((pl.col("last_day") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(as_of) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0).then((pl.col("value") - pl.col("first_value")) / x).otherwise(0.0)
        .alias("monetary"),
        (pl.col("value") / pl.col("purchase_days")).alias("mean_value"),
    )


def calibration_inputs(summary: pl.DataFrame, *, calibration_end: date, as_of: date) -> pl.DataFrame:
    """The calibration/holdout frame the engine's `holdout_comparison` takes."""
    week = engine.summary.DAYS_PER_WEEK
    x = pl.col("cal_days") - 1
    return summary.filter(pl.col("cal_days") > 0).select(
        "customer_id",
        x.alias("frequency"),
        ((pl.col("cal_last") - pl.col("first_day")).dt.total_days() / week).alias("recency"),
        ((pl.lit(calibration_end) - pl.col("first_day")).dt.total_days() / week).alias("T"),
        pl.when(x > 0).then((pl.col("cal_value") - pl.col("first_value")) / x).otherwise(0.0)
        .alias("monetary"),
        (pl.col("purchase_days") - pl.col("cal_days")).alias("frequency_holdout"),
        pl.lit((as_of - calibration_end).days / week).alias("duration_holdout"),
    )


# --- Fitting ----------------------------------------------------------------------------------


@dataclass
class Fits:
    bgnbd: engine.BGNBDFit
    pareto_nbd: engine.ParetoNBDFit | None
    gamma_gamma: engine.GammaGammaFit | None
    notes: list[str] = field(default_factory=list)


def _finite(value: Any) -> Any:
    """JSON-safe: NaN and ±inf become None (PostgreSQL's jsonb rejects them)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def fit_json(fit: engine.FitResult | None, note: str = "") -> dict[str, Any]:
    """A fit as stored in ModelFit: parameters, SEs, log-likelihood, convergence (and notes)."""
    if fit is None:
        return {"error": note} if note else {}
    return _finite({
        "params": fit.params, "standard_errors": fit.standard_errors,
        "log_likelihood": fit.log_likelihood, "converged": fit.converged, "method": fit.method,
        "customers": fit.n_customers, "distinct_rows": fit.n_rows, **({"notes": note} if note else {}),
    })


def fit_models(inputs: pl.DataFrame, *, with_pareto: bool = True) -> Fits:
    """BG/NBD (required), Pareto/NBD (comparison) and Gamma-Gamma (when usable) on `inputs`."""
    x, t_x, T = inputs["frequency"], inputs["recency"], inputs["T"]
    notes: list[str] = []
    bg = engine.bgnbd.fit(x, t_x, T)
    if not bg.converged:
        notes.append("BG/NBD did not converge: the history has too little repeat buying.")
    pn = None
    if with_pareto:
        try:
            pn = engine.paretonbd.fit(x, t_x, T)
        except (ValueError, FloatingPointError) as exc:
            notes.append(f"Pareto/NBD: {exc}")
    gg = None
    try:
        gg = engine.gammagamma.fit(x, inputs["monetary"])
        if gg.params["q"] <= 1:  # E[M] = p (γ + x m) / (p x + q − 1) needs q > 1
            notes.append("Gamma-Gamma q <= 1: customers' own averages are used instead.")
            gg = None
    except ValueError as exc:
        notes.append(f"Gamma-Gamma: {exc}")
    return Fits(bgnbd=bg, pareto_nbd=pn, gamma_gamma=gg, notes=notes)


def holdout_check(summary: pl.DataFrame, *, calibration_end: date, as_of: date) -> dict[str, Any]:
    """Fit on the calibration period, predict the holdout period, compare with what happened."""
    cal = calibration_inputs(summary, calibration_end=calibration_end, as_of=as_of)
    out: dict[str, Any] = {
        "calibration_end": calibration_end.isoformat(),
        "holdout_weeks": (as_of - calibration_end).days / engine.summary.DAYS_PER_WEEK,
        "customers": cal.height,
    }
    if cal.height < MIN_HOLDOUT_CUSTOMERS or not cal["frequency"].sum():
        out["error"] = "too few customers with repeat purchases before the calibration end"
        return out
    fits = fit_models(cal, with_pareto=True)
    for name, model in (("bgnbd", fits.bgnbd), ("pareto_nbd", fits.pareto_nbd)):
        if model is None:
            continue
        comparison = engine.holdout_comparison(cal, model)
        error = comparison.per_customer["predicted"] - comparison.per_customer["actual"]
        out[name] = _finite({
            "params": model.params,
            "total_predicted": comparison.total_predicted,
            "total_actual": comparison.total_actual,
            "mean_absolute_error": float(error.abs().mean()),
            "rmse": float((error**2).mean() ** 0.5),
            "correlation": float(np.corrcoef(comparison.per_customer["predicted"],
                                             comparison.per_customer["actual"])[0, 1])
            if cal.height > 1 and comparison.per_customer["actual"].std() else None,
            "chart": comparison.chart_data(),
        })
    return out


# --- Scoring ----------------------------------------------------------------------------------


def _quintile(column: pl.Expr, n: int) -> pl.Expr:
    """1 + ⌊5 × share of customers with a strictly lower value⌋: ties get the same score."""
    return (1 + (5 * (column.rank("min") - 1) / max(n, 1)).floor()).clip(1, 5).cast(pl.Int16)


def assign_rfm(frame: pl.DataFrame) -> pl.DataFrame:
    """r/f/m quintile scores: recency (fewer days since the last purchase is better), frequency
    (purchase days) and monetary (net spend)."""
    n = frame.height
    return frame.with_columns(
        _quintile(-pl.col("recency_days"), n).alias("r_score"),
        _quintile(pl.col("purchase_days"), n).alias("f_score"),
        _quintile(pl.col("monetary_total"), n).alias("m_score"),
    )


def assign_segments(frame: pl.DataFrame) -> pl.DataFrame:
    """The named segment from SEGMENT_GRID[r][f]; at risk with M = 5 becomes can't lose."""
    lookup = {r * 10 + f: str(row[f - 1]) for r, row in SEGMENT_GRID.items() for f in range(1, 6)}
    cell = (pl.col("r_score") * 10 + pl.col("f_score")).cast(pl.Int64)
    segment = cell.replace_strict(lookup, return_dtype=pl.String)
    return frame.with_columns(
        pl.when((segment == str(S.AT_RISK)) & (pl.col("m_score") == 5))
        .then(pl.lit(str(S.CANT_LOSE))).otherwise(segment).alias("segment")
    )


def _band(column: pl.Expr, cuts: tuple[float, float], labels: tuple[str, str, str],
          inclusive: bool = False) -> pl.Expr:
    low = column <= cuts[0] if inclusive else column < cuts[0]
    mid = column <= cuts[1] if inclusive else column < cuts[1]
    return pl.when(low).then(pl.lit(labels[0])).when(mid).then(pl.lit(labels[1])).otherwise(
        pl.lit(labels[2]))


def trust_expr() -> pl.Expr:
    """Trust level from purchase days, tenure, recency, refunds and (when known) satisfaction."""
    dissatisfied = (
        (pl.col("cost_to_serve") > DISSATISFIED_REFUND_SHARE * pl.col("revenue"))
        | (pl.col("satisfaction").fill_null(5.0) < DISSATISFIED_BELOW)
    )
    behavioural = (
        (pl.col("purchase_days") >= BEHAVIOURAL_MIN_DAYS)
        & (pl.col("tenure_days") >= BEHAVIOURAL_MIN_TENURE)
        & (pl.col("recency_days") <= ACTIVE_WITHIN)
    )
    return (
        pl.when(~dissatisfied & behavioural).then(pl.lit(str(TrustLevel.BEHAVIOURAL)))
        .when(~dissatisfied & (pl.col("purchase_days") >= 2)).then(pl.lit(str(TrustLevel.EMOTIONAL)))
        .otherwise(pl.lit(str(TrustLevel.COGNITIVE)))
    )


def switching_points() -> pl.Expr:
    """Points that tie a customer to us: tenure (1 y, 3 y), categories held (2, 4), referrals
    made, came by referral, plus points from registered sources (membership, commitments)."""
    return (
        (pl.col("tenure_days") >= 365).cast(pl.Int16) + (pl.col("tenure_days") >= 1095).cast(pl.Int16)
        + (pl.col("categories_held") >= 2).cast(pl.Int16)
        + (pl.col("categories_held") >= 4).cast(pl.Int16)
        + (pl.col("referrals_made") >= 1).cast(pl.Int16) + pl.col("was_referred").cast(pl.Int16)
        + pl.col("extra_points").fill_null(0).round().cast(pl.Int16)
    ).clip(0, 32767)


def _finite_scores(scored: pl.DataFrame, inputs: pl.DataFrame, fits: Fits, *, horizon_weeks: float,
                   discount_rate: float) -> pl.DataFrame:
    """Rows where the models give no finite number (parameters at the edge of their range, e.g. a
    history without heterogeneity) fall back to the customer's own purchase rate × P(alive); the
    fit's notes say how many."""
    rate = pl.when(pl.col("T") > 0).then(pl.col("frequency") / pl.col("T")).otherwise(0.0)
    alive = pl.when(pl.col("p_alive").is_finite()).then(pl.col("p_alive")).otherwise(1.0)
    value = (pl.when(pl.col("expected_avg_value").is_finite()).then(pl.col("expected_avg_value"))
             .otherwise(pl.col("mean_value")))
    naive = rate * horizon_weeks * alive
    discount = (1.0 + discount_rate) ** (-horizon_weeks / 2 / engine.clv.WEEKS_PER_YEAR)
    bad = ~(pl.col("expected_purchases").is_finite() & pl.col("clv").is_finite())
    out = scored.join(inputs.select("customer_id", "frequency", "T", "mean_value"), on="customer_id")
    n_bad = out.select(bad.sum()).item()
    if n_bad:
        fits.notes.append(f"{n_bad} customers scored with their own purchase rate: the model "
                          "gave no finite forecast for them.")
    return out.with_columns(
        alive.alias("p_alive"), value.alias("expected_avg_value"),
        pl.when(bad).then(naive).otherwise(pl.col("expected_purchases")).alias("expected_purchases"),
        pl.when(bad).then(naive * value * discount).otherwise(pl.col("clv")).alias("clv"),
    ).select(scored.columns)


SWITCHING_LABELS = (str(SwitchingCostBand.LOW), str(SwitchingCostBand.MEDIUM),
                    str(SwitchingCostBand.HIGH))


def score_customers(
    inputs: pl.DataFrame, fits: Fits, *, as_of: date, horizon_weeks: float, discount_rate: float,
    facts: pl.DataFrame, categories: pl.DataFrame, service_cost: pl.DataFrame,
    satisfaction: pl.DataFrame, extra_points: pl.DataFrame,
) -> pl.DataFrame:
    """Every customer's score row (the CustomerScore columns), computed column-wise."""
    btyd = inputs.select("customer_id", "frequency", "recency", "T", "monetary")
    if fits.gamma_gamma is None:  # no spend model: each customer's own mean purchase value
        btyd = btyd.with_columns(inputs["mean_value"].alias("monetary"))
    scored = engine.score(
        btyd, fits.bgnbd, fits.gamma_gamma, horizon_weeks=horizon_weeks,
        annual_discount_rate=discount_rate,
    ).select("customer_id", "p_alive", "expected_purchases", "expected_avg_value", "clv")
    scored = _finite_scores(scored, inputs, fits, horizon_weeks=horizon_weeks,
                            discount_rate=discount_rate)
    serve = service_cost.group_by("customer_id").agg(pl.col("amount").sum().alias("cost_to_serve"))
    frame = (
        inputs.join(scored, on="customer_id", how="left")
        .join(facts, on="customer_id", how="left")
        .join(categories, on="customer_id", how="left")
        .join(serve, on="customer_id", how="left")
        .join(satisfaction, on="customer_id", how="left")
        .join(extra_points.rename({"points": "extra_points"}), on="customer_id", how="left")
        .with_columns(
            pl.col("categories_held", "referrals_made").fill_null(0),
            pl.col("was_referred").fill_null(False),
            pl.col("cost_to_serve").fill_null(0.0),
            (pl.lit(as_of) - pl.col("last_day")).dt.total_days().alias("recency_days"),
            pl.col("value").alias("monetary_total"),
            (pl.lit(as_of) - pl.min_horizontal("first_day", "customer_since")).dt.total_days()
            .clip(lower_bound=0).alias("tenure_days"),
            (1.0 - pl.col("p_alive")).clip(0.0, 1.0).alias("churn_risk"),
        )
    )
    frame = assign_segments(assign_rfm(frame))
    frame = frame.with_columns(
        _band(pl.col("churn_risk"), CHURN_BANDS,
              (str(ChurnRiskBand.LOW), str(ChurnRiskBand.MEDIUM), str(ChurnRiskBand.HIGH)))
        .alias("churn_risk_band"),
        trust_expr().alias("trust_level"),
        switching_points().alias("switching_cost"),
        (pl.col("revenue") - pl.col("cost")).alias("gross_margin"),
    ).with_columns(
        _band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True)
        .alias("switching_cost_band"),
        (pl.col("gross_margin") - pl.col("cost_to_serve")).alias("net_contribution"),
    )
    return frame.select(
        "customer_id", pl.col("first_day").alias("first_purchase"),
        pl.col("last_day").alias("last_purchase"), "orders", "purchase_days", "recency_days",
        pl.col("monetary_total").alias("monetary"), "r_score", "f_score", "m_score", "segment",
        "frequency", pl.col("recency").alias("recency_weeks"), pl.col("T").alias("age_weeks"),
        pl.col("monetary").alias("avg_repeat_value"), "p_alive", "expected_purchases",
        "expected_avg_value", "clv", "churn_risk", "churn_risk_band", "trust_level", "revenue",
        "gross_margin", "cost_to_serve", "net_contribution", "tenure_days", "categories_held",
        "referrals_made", "was_referred", "switching_cost", "switching_cost_band",
    )


# --- Writing ----------------------------------------------------------------------------------

SCORE_COLUMNS = [
    "customer_id", "first_purchase", "last_purchase", "orders", "purchase_days", "recency_days",
    "monetary", "r_score", "f_score", "m_score", "segment", "frequency", "recency_weeks",
    "age_weeks", "avg_repeat_value", "p_alive", "expected_purchases", "expected_avg_value", "clv",
    "churn_risk", "churn_risk_band", "trust_level", "revenue", "gross_margin", "cost_to_serve",
    "net_contribution", "tenure_days", "categories_held", "referrals_made", "was_referred",
    "switching_cost", "switching_cost_band", "computed_at",
]
MONEY_COLUMNS = ("monetary", "avg_repeat_value", "expected_avg_value", "clv", "revenue",
                 "gross_margin", "cost_to_serve", "net_contribution")


def _score_table(scores: pl.DataFrame, computed_at: datetime) -> pl.DataFrame:
    """The rows exactly as the table stores them (money to cents, the timestamp as text)."""
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    return scores.with_columns(
        pl.col(*MONEY_COLUMNS).round(2), pl.lit(str(stamp)).alias("computed_at")
    ).select(SCORE_COLUMNS)


def write_scores(scores: pl.DataFrame, *, computed_at: datetime) -> None:
    """Upsert every score row and delete the rows of customers no longer scored. The caller
    holds the transaction; PostgreSQL loads with COPY, SQLite with one executemany."""
    table = CustomerScore._meta.db_table
    frame = _score_table(scores, computed_at)
    cols = ", ".join(SCORE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SCORE_COLUMNS[1:])
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            # session-local; dropped first in case an enclosing transaction is still open
            cursor.execute("DROP TABLE IF EXISTS analytics_score_load")
            cursor.execute(
                f"CREATE TEMP TABLE analytics_score_load (LIKE {table}) ON COMMIT DROP"
            )
            with cursor.cursor.copy(
                f"COPY analytics_score_load ({cols}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                for offset in range(0, frame.height, 200_000):
                    copy.write(frame.slice(offset, 200_000).write_csv(include_header=False))
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT {cols} FROM analytics_score_load t "  # noqa: S608
                "WHERE EXISTS (SELECT 1 FROM customers_customer c WHERE c.id = t.customer_id) "
                f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"
            )
        else:
            rows = frame.with_columns(
                pl.col("first_purchase", "last_purchase").cast(pl.String),
                pl.col("was_referred").cast(pl.Int8),
            )
            marks = ", ".join(["%s"] * len(SCORE_COLUMNS))
            sql = (f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608
                   f"ON CONFLICT (customer_id) DO UPDATE SET {updates}")
            for offset in range(0, rows.height, 100_000):
                cursor.executemany(sql, rows.slice(offset, 100_000).iter_rows())
            cursor.execute(
                f"DELETE FROM {table} WHERE customer_id NOT IN (SELECT id FROM customers_customer)"  # noqa: S608
            )
        stamp = connection.ops.adapt_datetimefield_value(computed_at)
        cursor.execute(f"DELETE FROM {table} WHERE computed_at <> %s", [stamp])  # noqa: S608


# --- The refresh ------------------------------------------------------------------------------


def _strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}")
    if strategy == "auto":  # measured in bench/analytics_refresh.py
        return "sql" if _is_postgres() else "polars"
    return strategy


@dataclass
class RefreshData:
    """What one refresh read and computed; the reports reuse it instead of reading again."""

    as_of: date
    summary: pl.DataFrame
    scores: pl.DataFrame
    facts: pl.DataFrame
    service_cost: pl.DataFrame
    orders: pl.DataFrame | None = None


def analytics_refresh(
    *,
    as_of: date | None = None,
    horizon_weeks: int = 52,
    discount_rate: float = 0.10,
    strategy: str = "auto",
    holdout_weeks: int = HOLDOUT_WEEKS,
    reports: bool = True,
) -> ModelFit:
    """Recompute every customer's score and the dashboards' reports; returns the new ModelFit.

    Stages (seconds recorded in ModelFit.stages): summary (the database), fit (BG/NBD, Gamma-Gamma,
    Pareto/NBD and the calibration/holdout check), score, write (one transaction), reports.
    """
    started, clock = timezone.now(), time.perf_counter()
    stages: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = round(now - clock, 3)
        clock = now

    as_of = as_of or timezone.localdate()
    strategy = _strategy(strategy)
    calibration_end = as_of - timedelta(weeks=holdout_weeks)
    orders = None
    if strategy == "sql":
        summary = summary_sql(as_of=as_of, calibration_end=calibration_end)
    else:
        orders = order_rows(as_of=as_of)
        summary = summary_polars(as_of=as_of, calibration_end=calibration_end, orders=orders)
    facts = customer_facts()
    categories = categories_held(as_of=as_of)
    service_cost = cost_to_serve(as_of=as_of)
    end = _end_of(as_of)
    satisfaction = _extra(SATISFACTION_SOURCES, end, "satisfaction", "mean")
    extra_points = _extra(SWITCHING_COST_SOURCES, as_of, "points", "sum")
    lap("summary")

    inputs = btyd_inputs(summary, as_of=as_of)
    fits = fit_models(inputs) if inputs.height else None
    holdout = (
        holdout_check(summary, calibration_end=calibration_end, as_of=as_of) if inputs.height else {}
    )
    lap("fit")

    if fits is not None:
        scores = score_customers(
            inputs, fits, as_of=as_of, horizon_weeks=horizon_weeks, discount_rate=discount_rate,
            facts=facts, categories=categories, service_cost=service_cost,
            satisfaction=satisfaction, extra_points=extra_points,
        )
    else:
        scores = pl.DataFrame(schema=dict.fromkeys(SCORE_COLUMNS[:-1], pl.Float64))
    lap("score")

    data = RefreshData(as_of=as_of, summary=summary, scores=scores, facts=facts,
                       service_cost=service_cost, orders=orders)
    built = build_reports(data) if reports else {}
    lap("reports")

    notes = "; ".join(fits.notes) if fits else "no purchases"
    computed_at = timezone.now()
    with transaction.atomic():
        write_scores(scores, computed_at=computed_at)
        fit = ModelFit.objects.create(
            as_of=as_of, horizon_weeks=horizon_weeks, discount_rate=discount_rate,
            started_at=started, computed_at=computed_at, duration_seconds=0.0,
            customers=scores.height, purchase_days=int(summary["purchase_days"].sum() or 0),
            summary_strategy=strategy,
            bgnbd=fit_json(fits.bgnbd if fits else None, notes),
            pareto_nbd=fit_json(fits.pareto_nbd if fits else None, "" if fits and fits.pareto_nbd else notes),
            gamma_gamma=fit_json(fits.gamma_gamma if fits else None, "" if fits and fits.gamma_gamma else notes),
            holdout=_finite(holdout), stages={},
        )
        for kind, payload in built.items():
            Report.objects.update_or_create(
                kind=kind, defaults={"data": _finite(payload), "fit": fit, "computed_at": computed_at}
            )
    lap("write")
    fit.stages = stages
    fit.duration_seconds = round(sum(stages.values()), 3)
    ModelFit.objects.filter(pk=fit.pk).update(stages=stages, duration_seconds=fit.duration_seconds)
    log.info("analytics refresh: %d customers in %.1f s %s", scores.height, fit.duration_seconds, stages)
    return fit


# --- Reports (aggregates the dashboards read) ---------------------------------------------------


def _columns(frame: pl.DataFrame) -> dict[str, list[Any]]:
    """A frame as {column: [values]} (dates as ISO text), the shape Report.data stores."""
    out = frame.with_columns(pl.col(pl.Date).cast(pl.String))
    return {c: out[c].to_list() for c in out.columns}


def build_reports(data: RefreshData) -> dict[str, dict[str, Any]]:
    """Every report kind's payload. Reports that need order lines read them once here."""
    if not data.scores.height:
        return {kind: {} for kind in ReportKind.values}
    orders = data.orders if data.orders is not None else order_rows(as_of=data.as_of)
    days = purchase_days(orders)
    segments = data.scores.select("customer_id", "segment", "purchase_days")
    lines = line_rows(as_of=data.as_of)
    return {
        ReportKind.SCORES: scores_report(data.scores),
        ReportKind.COHORTS: cohorts_report(days),
        ReportKind.LOYALTY: loyalty_report(days, segments),
        ReportKind.PROFIT: profit_report(orders, data.service_cost, segments),
        ReportKind.PRODUCTS: products_report(orders, lines, segments),
        ReportKind.PROMOTION: promotion_report(orders, days),
        ReportKind.SWITCHING: switching_report(days, lines, orders, data.facts, as_of=data.as_of),
    }


LINE_SCHEMA = {
    "order_id": pl.Int64, "product_id": pl.Int64, "quantity": pl.Float64,
    "line_total": pl.Float64, "returned": pl.Float64, "refund": pl.Float64,
}


def line_rows(*, as_of: date) -> pl.DataFrame:
    """Every line of a non-cancelled order up to `as_of`, with the quantity returned and refunds."""
    sql = """
        WITH returned AS (
            SELECT order_line_id, SUM(quantity) AS q, SUM(refund_amount) AS refund
            FROM sales_return GROUP BY order_line_id
        )
        SELECT l.order_id, l.product_id, l.quantity, l.line_total, COALESCE(r.q, 0),
               COALESCE(r.refund, 0)
        FROM sales_orderline l
        JOIN sales_order o ON o.id = l.order_id
        LEFT JOIN returned r ON r.order_line_id = l.id
        WHERE o.status <> 'cancelled' AND o.ordered_at < %s
    """
    return _query_frame(sql, [_end_of(as_of)], LINE_SCHEMA)


def product_names(ids: list[int]) -> pl.DataFrame:
    from rapport.sales.models import Product

    rows = Product.objects.filter(pk__in=ids).values_list("id", "sku", "name", "category")
    return pl.DataFrame(
        list(rows), orient="row",
        schema={"product_id": pl.Int64, "sku": pl.String, "name": pl.String, "category": pl.String},
    )


def _share_of_top(values: pl.Series, share: float = 0.2) -> float | None:
    """The share of the total that the top `share` of customers hold (None if total <= 0)."""
    total = float(values.sum())
    if values.len() == 0 or total <= 0:
        return None
    k = max(1, math.ceil(share * values.len()))
    return float(values.sort(descending=True).head(k).sum()) / total


def scores_report(scores: pl.DataFrame) -> dict[str, Any]:
    """Counts and sums by segment, the RFM grid, distributions, and the top-20 % profit share."""
    by_segment = scores.group_by("segment").agg(
        pl.len().alias("customers"), pl.col("orders").sum(),
        (pl.col("purchase_days") >= 2).sum().alias("repeaters"),
        pl.col("revenue", "monetary", "gross_margin", "cost_to_serve", "net_contribution", "clv",
               "p_alive", "expected_purchases").sum(),
    )
    grid = scores.group_by("r_score", "f_score", "segment").agg(
        pl.len().alias("customers"), pl.col("monetary").sum(), pl.col("clv").sum(),
    )
    alive_bin = (pl.col("p_alive") * 10).floor().clip(0, 9).cast(pl.Int64).alias("bin")
    p_alive = scores.group_by("segment", alive_bin).agg(pl.len().alias("customers"))

    def counts(column: str) -> dict[str, list[Any]]:
        return _columns(scores.group_by("segment", column).agg(pl.len().alias("customers")))

    pareto = [
        {"segment": "", "customers": scores.height,
         "profit_share": _share_of_top(scores["net_contribution"]),
         "revenue_share": _share_of_top(scores["revenue"])}
    ] + [
        {"segment": seg, "customers": part.height,
         "profit_share": _share_of_top(part["net_contribution"]),
         "revenue_share": _share_of_top(part["revenue"])}
        for (seg,), part in scores.group_by("segment")
    ]
    ranked = scores.select(pl.col("net_contribution").sort(descending=True)).with_row_index("i")
    deciles = ranked.with_columns(
        (pl.col("i") * 10 // max(scores.height, 1) + 1).alias("decile")
    ).group_by("decile").agg(pl.len().alias("customers"), pl.col("net_contribution").sum())
    return {
        "by_segment": _columns(by_segment),
        "rfm_grid": _columns(grid),
        "top_clv": _columns(_top(scores, "clv")),
        "top_profit": _columns(_top(scores, "net_contribution")),
        "p_alive": _columns(p_alive),
        "churn_risk": counts("churn_risk_band"),
        "trust": counts("trust_level"),
        "switching": counts("switching_cost_band"),
        "pareto": pareto,
        "deciles": _columns(deciles.sort("decile")),
    }


TOP_CUSTOMERS = 25


def _top(scores: pl.DataFrame, column: str) -> pl.DataFrame:
    """The TOP_CUSTOMERS customers by `column`, overall (segment "") and within each segment."""
    keep = ["customer_id", "segment", "clv", "p_alive", "expected_purchases", "revenue",
            "net_contribution"]
    overall = scores.sort(column, descending=True).head(TOP_CUSTOMERS).select(
        pl.lit("").alias("group"), *keep)
    per_segment = (scores.sort(column, descending=True).group_by("segment", maintain_order=True)
                   .head(TOP_CUSTOMERS).select(pl.col("segment").alias("group"), *keep))
    return pl.concat([overall, per_segment])


def _months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    return (end.dt.year() - start.dt.year()) * 12 + (end.dt.month() - start.dt.month())


def cohorts_report(days: pl.DataFrame) -> dict[str, Any]:
    """Customers active in each month since their first purchase month, per first-purchase month."""
    months = days.select("customer_id", pl.col("day").dt.truncate("1mo").alias("month")).unique()
    first = months.group_by("customer_id").agg(pl.col("month").min().alias("cohort"))
    cells = (
        months.join(first, on="customer_id")
        .with_columns(_months_between(pl.col("cohort"), pl.col("month")).alias("offset"))
        .group_by("cohort", "offset").agg(pl.len().alias("customers"))
        .sort("cohort", "offset")
    )
    return {"cells": _columns(cells)}


def loyalty_report(days: pl.DataFrame, segments: pl.DataFrame) -> dict[str, Any]:
    """Days between consecutive purchase days: histogram and median, per segment."""
    gaps = (
        days.select("customer_id", "day").sort("customer_id", "day")
        .with_columns(pl.col("day").diff().over("customer_id").dt.total_days().alias("gap"))
        .filter(pl.col("gap").is_not_null())
        .join(segments.select("customer_id", "segment"), on="customer_id")
    )
    bin_expr = pl.lit(len(INTERVAL_BINS))
    for i, upper in reversed(list(enumerate(INTERVAL_BINS))):
        bin_expr = pl.when(pl.col("gap") <= upper).then(pl.lit(i)).otherwise(bin_expr)
    histogram = gaps.group_by("segment", bin_expr.alias("bin")).agg(pl.len().alias("intervals"))
    medians = gaps.group_by("segment").agg(
        pl.col("gap").median().alias("median"), pl.col("gap").mean().alias("mean"),
        pl.len().alias("intervals"),
    )
    overall = gaps.select(
        pl.lit("").alias("segment"), pl.col("gap").median().alias("median"),
        pl.col("gap").mean().alias("mean"), pl.len().alias("intervals"),
    )
    return {
        "bins": list(INTERVAL_BINS),
        "histogram": _columns(histogram),
        "medians": _columns(pl.concat([overall, medians], how="vertical_relaxed")),
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
            pl.col("total").sum().alias("revenue"), pl.col("cost").sum(),
            pl.len().alias("orders"), pl.col("customer_id").n_unique().alias("buyers"),
        )
        .sort("month", "segment")
    )
    service = (
        service_cost.join(seg, on="customer_id")
        .group_by("month", "segment", "kind").agg(pl.col("amount").sum())
        .sort("month", "segment", "kind")
    )
    return {"sales": _columns(sales), "service": _columns(service)}


def products_report(
    orders: pl.DataFrame, lines: pl.DataFrame, segments: pl.DataFrame, *, top_pairs: int = 200
) -> dict[str, Any]:
    """First products and repeat buying, returns per product and month, and products bought
    together (support, confidence, lift)."""
    order_days = orders.select("order_id", "customer_id", "day")
    lined = lines.join(order_days, on="order_id")
    first_day = orders.group_by("customer_id").agg(pl.col("day").min().alias("first_day"))
    first = (
        lined.join(first_day, on="customer_id")
        .filter(pl.col("day") == pl.col("first_day"))
        .select("customer_id", "product_id", pl.col("day").dt.truncate("1mo").alias("month"))
        .unique()
        .join(segments.select("customer_id", "purchase_days"), on="customer_id")
        .group_by("month", "product_id")
        .agg(pl.len().alias("first_buyers"), (pl.col("purchase_days") >= 2).sum().alias("repeaters"))
        .sort("month", "product_id")
    )
    returns = (
        lined.group_by(pl.col("day").dt.truncate("1mo").alias("month"), "product_id")
        .agg(
            pl.len().alias("lines"), pl.col("quantity").sum(), pl.col("returned").sum(),
            pl.col("line_total").sum().alias("revenue"), pl.col("refund").sum(),
            (pl.col("returned") > 0).sum().alias("returned_lines"),
        )
        .sort("month", "product_id")
    )
    pairs = product_pairs(lines.select("order_id", "product_id"), top=top_pairs)
    ids = set(first["product_id"].to_list()) | set(returns["product_id"].to_list())
    ids |= set(pairs["a"].to_list()) | set(pairs["b"].to_list())
    return {
        "first_products": _columns(first),
        "returns": _columns(returns),
        "pairs": _columns(pairs),
        "orders": orders.height,
        "products": _columns(product_names(sorted(ids))),
    }


def product_pairs(items: pl.DataFrame, *, top: int = 200, max_basket: int = 30) -> pl.DataFrame:
    """Pairs of products in the same order: orders together, support, confidence and lift,
    the `top` pairs by lift among those seen together in at least `min_orders` orders."""
    baskets = items.unique()
    n_orders = baskets["order_id"].n_unique()
    size = baskets.group_by("order_id").agg(pl.len().alias("k"))
    single = baskets.group_by("product_id").agg(pl.len().alias("orders"))
    small = baskets.join(size.filter((pl.col("k") >= 2) & (pl.col("k") <= max_basket)), on="order_id")
    pairs = (
        small.select("order_id", pl.col("product_id").alias("a"))
        .join(small.select("order_id", pl.col("product_id").alias("b")), on="order_id")
        .filter(pl.col("a") < pl.col("b"))
        .group_by("a", "b").agg(pl.len().alias("together"))
    )
    min_orders = max(2, math.ceil(n_orders * 1e-5))
    n = max(n_orders, 1)
    return (
        pairs.filter(pl.col("together") >= min_orders)
        .join(single.rename({"product_id": "a", "orders": "orders_a"}), on="a")
        .join(single.rename({"product_id": "b", "orders": "orders_b"}), on="b")
        .with_columns(
            (pl.col("together") / n).alias("support"),
            (pl.col("together") / pl.col("orders_a")).alias("confidence"),
            (pl.col("together") * n / (pl.col("orders_a") * pl.col("orders_b"))).alias("lift"),
        )
        .sort(["lift", "together"], descending=True)
        .head(top)
    )


PROMOTION_BANDS = 5


def promotion_report(orders: pl.DataFrame, days: pl.DataFrame) -> dict[str, Any]:
    """Cells of (first-purchase month, first-purchase value band, promotion used on the first
    purchase day): buyers, repeat buyers and later spend (sum and sum of squares)."""
    promo_days = orders.group_by("customer_id", "day").agg(pl.col("promo").max())
    per_customer = (
        days.join(promo_days, on=["customer_id", "day"])
        .group_by("customer_id")
        .agg(
            pl.col("day").min().alias("first_day"),
            pl.col("v").sort_by("day").first().alias("first_value"),
            pl.col("promo").sort_by("day").first().alias("promo"),
            (pl.len() >= 2).alias("repeated"),
            pl.col("v").sort_by("day").slice(1).sum().alias("later_spend"),
        )
    )
    values = per_customer["first_value"]
    cuts = [float(values.quantile(q / PROMOTION_BANDS, "lower")) for q in range(1, PROMOTION_BANDS)]
    band = pl.lit(PROMOTION_BANDS)
    for i, cut in reversed(list(enumerate(cuts, start=1))):
        band = pl.when(pl.col("first_value") <= cut).then(pl.lit(i)).otherwise(band)
    cells = (
        per_customer.with_columns(
            pl.col("first_day").dt.truncate("1mo").alias("month"), band.alias("band"),
        )
        .group_by("month", "band", "promo")
        .agg(
            pl.len().alias("buyers"), pl.col("repeated").sum().alias("repeaters"),
            pl.col("later_spend").sum().alias("spend"),
            (pl.col("later_spend") ** 2).sum().alias("spend_sq"),
        )
        .sort("month", "band", "promo")
    )
    return {"cells": _columns(cells), "band_cuts": cuts}


def switching_report(
    days: pl.DataFrame, lines: pl.DataFrame, orders: pl.DataFrame, facts: pl.DataFrame, *,
    as_of: date,
) -> dict[str, Any]:
    """Switching-cost indicators measured one year ago and whether each customer bought again
    in the year since: retention by band and by indicator (no look-ahead in the indicators)."""
    ref = as_of - timedelta(days=RETENTION_WINDOW_DAYS)
    before = days.filter(pl.col("day") <= ref)
    if not before.height:
        return {"reference_date": ref.isoformat(), "bands": {}, "indicators": {}}
    first = before.group_by("customer_id").agg(pl.col("day").min().alias("first_day"))
    retained = days.filter(pl.col("day") > ref).select("customer_id").unique().with_columns(
        pl.lit(True).alias("retained"))
    cats = (
        lines.join(orders.filter(pl.col("day") <= ref).select("order_id", "customer_id"), on="order_id")
        .join(_product_categories(), on="product_id")
        .filter(pl.col("category") != "")
        .group_by("customer_id").agg(pl.col("category").n_unique().alias("categories_held"))
    )
    made = (
        facts.filter(pl.col("referred_by_id").is_not_null() & (pl.col("customer_since") <= ref))
        .group_by(pl.col("referred_by_id").alias("customer_id"))
        .agg(pl.len().cast(pl.Int64).alias("referrals_made"))
    )
    extra = _extra(SWITCHING_COST_SOURCES, ref, "points", "sum").rename({"points": "extra_points"})
    frame = (
        first.join(facts.drop("referrals_made"), on="customer_id", how="left")
        .join(made, on="customer_id", how="left")
        .join(cats, on="customer_id", how="left")
        .join(extra, on="customer_id", how="left")
        .join(retained, on="customer_id", how="left")
        .with_columns(
            pl.col("referrals_made", "categories_held").fill_null(0),
            pl.col("was_referred", "retained").fill_null(False),
            (pl.lit(ref) - pl.min_horizontal("first_day", pl.when(pl.col("customer_since") <= ref)
                                                .then(pl.col("customer_since"))))
            .dt.total_days().alias("tenure_days"),
        )
        .with_columns(switching_points().alias("switching_cost"))
        .with_columns(_band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS,
                            inclusive=True).alias("band"))
    )

    def retention(key: pl.Expr) -> dict[str, list[Any]]:
        return _columns(frame.group_by(key.alias("level")).agg(
            pl.len().alias("customers"), pl.col("retained").sum()).sort("level"))

    tenure = _band(pl.col("tenure_days"), (365, 1095), ("<1y", "1-3y", "3y+"))
    cats_level = _band(pl.col("categories_held"), (1, 3), ("0-1", "2-3", "4+"), inclusive=True)
    referral = (pl.when(pl.col("was_referred") & (pl.col("referrals_made") > 0)).then(pl.lit("both"))
                .when(pl.col("was_referred")).then(pl.lit("referred"))
                .when(pl.col("referrals_made") > 0).then(pl.lit("referrer"))
                .otherwise(pl.lit("none")))
    return {
        "reference_date": ref.isoformat(),
        "bands": retention(pl.col("band")),
        "points": retention(pl.col("switching_cost")),
        "indicators": {"tenure": retention(tenure), "categories": retention(cats_level),
                       "referral": retention(referral)},
    }


def _product_categories() -> pl.DataFrame:
    from rapport.sales.models import Product

    rows = Product.objects.values_list("id", "category")
    return pl.DataFrame(list(rows), orient="row",
                        schema={"product_id": pl.Int64, "category": pl.String})


# --- Churn records ----------------------------------------------------------------------------


@transaction.atomic
def churn_record(
    *, customer: Any, reason: str, destination: str = ChurnDestination.UNKNOWN, note: str = "",
    by: Any, recorded_at: datetime | None = None,
) -> ChurnRecord:
    """Record that a customer left, why and where to; the customer's history gets a row."""
    errors: dict[str, list[str]] = {}
    if reason not in ChurnReason.values:
        errors["reason"] = [_("Choose one of the listed reasons.")]
    if destination not in ChurnDestination.values:
        errors["destination"] = [_("Choose one of the listed destinations.")]
    if len(note) > 2000:
        errors["note"] = [_("The note is too long (at most 2,000 characters).")]
    if errors:
        raise ValidationError(errors)
    record = ChurnRecord.objects.create(
        customer=customer, reason=reason, destination=destination, note=note.strip(),
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        recorded_at=recorded_at or timezone.now(),
    )
    record_change(
        obj=record, action=ChangeAction.CREATE, by=by, customer_id=customer.pk,
        changes={"reason": [None, reason], "destination": [None, destination],
                 **({"note": [None, record.note]} if record.note else {})},
    )
    return record
