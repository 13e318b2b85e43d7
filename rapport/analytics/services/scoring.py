"""Scoring every customer at once (vectorised): forecasts, RFM, segments, bands, trust levels,
switching cost and profit figures — the CustomerScore columns."""

from __future__ import annotations

from datetime import date

import polars as pl

from rapport.analytics import engine
from rapport.analytics.services.fitting import Fits
from rapport.analytics.services.rules import (
    CHURN_BANDS,
    CHURN_LABELS,
    SWITCHING_BANDS,
    SWITCHING_LABELS,
    assign_rfm,
    assign_segments,
    band,
    switching_points,
    trust_expr,
)

# CustomerScore's columns, in the table's order, and the working columns some are made from.
SCORE_COLUMNS = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "orders",
    "purchase_days",
    "recency_days",
    "monetary",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "avg_repeat_value",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv",
    "churn_risk",
    "churn_risk_band",
    "trust_level",
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
    "tenure_days",
    "categories_held",
    "referrals_made",
    "was_referred",
    "switching_cost",
    "switching_cost_band",
)
SOURCES = {
    "first_purchase": "first_day",
    "last_purchase": "last_day",
    "monetary": "monetary_total",
    "recency_weeks": "recency",
    "age_weeks": "T",
    "avg_repeat_value": "monetary",
}


def _finite_scores(
    scored: pl.DataFrame,
    inputs: pl.DataFrame,
    fits: Fits,
    *,
    horizon_weeks: float,
    discount_rate: float,
) -> pl.DataFrame:
    """Rows where the models give no finite number (parameters at the edge of their range, e.g. a
    history without heterogeneity) fall back to the customer's own purchase rate × P(alive); the
    fit's notes say how many."""
    rate = pl.when(pl.col("T") > 0).then(pl.col("frequency") / pl.col("T")).otherwise(0.0)
    alive = pl.when(pl.col("p_alive").is_finite()).then(pl.col("p_alive")).otherwise(1.0)
    value = (
        pl.when(pl.col("expected_avg_value").is_finite())
        .then(pl.col("expected_avg_value"))
        .otherwise(pl.col("mean_value"))
    )
    naive = rate * horizon_weeks * alive
    discount = (1.0 + discount_rate) ** (-horizon_weeks / 2 / engine.clv.WEEKS_PER_YEAR)
    bad = ~(pl.col("expected_purchases").is_finite() & pl.col("clv").is_finite())
    out = scored.join(
        inputs.select("customer_id", "frequency", "T", "mean_value"), on="customer_id"
    )
    n_bad = out.select(bad.sum()).item()
    if n_bad:
        fits.notes.append(
            f"{n_bad} customers scored with their own purchase rate: the model "
            "gave no finite forecast for them."
        )
    return out.with_columns(
        alive.alias("p_alive"),
        value.alias("expected_avg_value"),
        pl.when(bad)
        .then(naive)
        .otherwise(pl.col("expected_purchases"))
        .alias("expected_purchases"),
        pl.when(bad).then(naive * value * discount).otherwise(pl.col("clv")).alias("clv"),
    ).select(scored.columns)


def score_customers(
    inputs: pl.DataFrame,
    fits: Fits,
    *,
    as_of: date,
    horizon_weeks: float,
    discount_rate: float,
    facts: pl.DataFrame,
    categories: pl.DataFrame,
    service_cost: pl.DataFrame,
    satisfaction: pl.DataFrame,
    extra_points: pl.DataFrame,
) -> pl.DataFrame:
    """Every customer's score row (the CustomerScore columns), computed column-wise."""
    btyd = inputs.select("customer_id", "frequency", "recency", "T", "monetary")
    if fits.gamma_gamma is None:  # no spend model: each customer's own mean purchase value
        btyd = btyd.with_columns(inputs["mean_value"].alias("monetary"))
    scored = engine.score(
        btyd,
        fits.bgnbd,
        fits.gamma_gamma,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=discount_rate,
    ).select("customer_id", "p_alive", "expected_purchases", "expected_avg_value", "clv")
    scored = _finite_scores(
        scored, inputs, fits, horizon_weeks=horizon_weeks, discount_rate=discount_rate
    )
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
            (pl.lit(as_of) - pl.min_horizontal("first_day", "customer_since"))
            .dt.total_days()
            .clip(lower_bound=0)
            .alias("tenure_days"),
            (1.0 - pl.col("p_alive")).clip(0.0, 1.0).alias("churn_risk"),
        )
    )
    frame = assign_segments(assign_rfm(frame))
    frame = frame.with_columns(
        band(
            pl.col("churn_risk"),
            CHURN_BANDS,
            CHURN_LABELS,
        ).alias("churn_risk_band"),
        trust_expr().alias("trust_level"),
        switching_points().alias("switching_cost"),
        (pl.col("revenue") - pl.col("cost")).alias("gross_margin"),
    ).with_columns(
        band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True).alias(
            "switching_cost_band"
        ),
        (pl.col("gross_margin") - pl.col("cost_to_serve")).alias("net_contribution"),
    )
    return frame.select(pl.col(SOURCES.get(c, c)).alias(c) for c in SCORE_COLUMNS)
