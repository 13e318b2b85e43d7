"""Scoring every customer at once (vectorised): forecasts, RFM, segments, bands, trust levels,
switching cost and profit figures — the CustomerScore columns."""

from __future__ import annotations

from datetime import date

import polars as pl

from rapport.analytics import engine
from rapport.analytics.choices import ClvBasis
from rapport.analytics.services.fitting import Fits
from rapport.analytics.services.history import REFUNDS
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
    "value_basis",
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
    """Rows where the model gives no finite number (parameters at the edge of their range) fall
    back to the customer's own purchase rate × P(alive); the fit's notes say how many."""
    rate = pl.when(pl.col("T") > 0).then(pl.col("frequency") / pl.col("T")).otherwise(0.0)
    alive = pl.when(pl.col("p_alive").is_finite()).then(pl.col("p_alive")).otherwise(1.0)
    naive = rate * horizon_weeks * alive
    discount = (1.0 + discount_rate) ** (-horizon_weeks / 2 / engine.clv.WEEKS_PER_YEAR)
    bad = ~(pl.col("expected_purchases").is_finite() & pl.col("clv").is_finite())
    out = scored.join(inputs.select("customer_id", "frequency", "T"), on="customer_id")
    n_bad = out.select(bad.sum()).item()
    if n_bad:
        fits.note("own_rate", customers=n_bad)
    value = pl.col("expected_avg_value")
    return out.with_columns(
        alive.alias("p_alive"),
        pl.when(bad)
        .then(naive)
        .otherwise(pl.col("expected_purchases"))
        .alias("expected_purchases"),
        pl.when(bad)
        .then(naive * value * pl.col("margin_rate") * discount)
        .otherwise(pl.col("clv"))
        .alias("clv"),
    ).select(scored.columns)


FORECASTS = ("p_alive", "expected_purchases", "expected_avg_value", "clv")


def _margin_rate(inputs: pl.DataFrame, clv_basis: str) -> pl.Expr:
    """1 for revenue; for margin, the customer's own gross margin share of their purchases
    (between 0 and 1)."""
    if clv_basis != ClvBasis.MARGIN:
        return pl.lit(1.0)
    share = (pl.col("revenue") - pl.col("cost")) / pl.col("revenue")
    return pl.when(pl.col("revenue") > 0).then(share.clip(0.0, 1.0)).otherwise(0.0)


def forecasts(
    inputs: pl.DataFrame,
    fits: Fits,
    *,
    horizon_weeks: float,
    discount_rate: float,
    clv_basis: str = ClvBasis.REVENUE,
) -> pl.DataFrame:
    """customer_id, P(alive), expected purchases, expected order and its basis, CLV — from the
    model that scores; empty forecasts (null) when no model could be fitted."""
    margin = inputs.select(
        pl.col("customer_id"), _margin_rate(inputs, clv_basis).alias("margin_rate")
    )
    btyd = inputs.select(
        "customer_id", "frequency", "recency", "T", "monetary", pl.col("value").alias("paid")
    )
    if fits.gamma_gamma is None:  # no spend model: each customer's own mean purchase value
        btyd = btyd.with_columns(inputs["mean_value"].alias("monetary"))
    model = fits.scoring
    if model is None:
        values, basis = engine.clv.expected_values(
            btyd, fits.gamma_gamma, btyd["frequency"].to_numpy().astype(float)
        )
        return btyd.select("customer_id").with_columns(
            pl.lit(None, pl.Float64).alias("p_alive"),
            pl.lit(None, pl.Float64).alias("expected_purchases"),
            pl.Series("expected_avg_value", values),
            pl.Series("value_basis", basis, dtype=pl.String),
            pl.lit(None, pl.Float64).alias("clv"),
        )
    scored = engine.score(
        btyd,
        model,
        fits.gamma_gamma,
        horizon_weeks=horizon_weeks,
        annual_discount_rate=discount_rate,
        margin=margin["margin_rate"].to_numpy(),
    ).select(
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_avg_value",
        pl.col("value_basis").cast(pl.String),
        "clv",
    )
    scored = scored.join(margin, on="customer_id")
    return _finite_scores(
        scored, inputs, fits, horizon_weeks=horizon_weeks, discount_rate=discount_rate
    ).drop("margin_rate")


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
    clv_basis: str = ClvBasis.REVENUE,
) -> pl.DataFrame:
    """Every customer's score row (the CustomerScore columns), computed column-wise."""
    scored = forecasts(
        inputs,
        fits,
        horizon_weeks=horizon_weeks,
        discount_rate=discount_rate,
        clv_basis=clv_basis,
    )
    serve = service_cost.group_by("customer_id").agg(
        pl.col("amount").sum().alias("cost_to_serve"),
        pl.col("amount").filter(pl.col("kind") == REFUNDS).sum().alias("refunds"),
    )
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
            pl.col("cost_to_serve", "refunds").fill_null(0.0),
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
        pl.when(pl.col("churn_risk").is_not_null())
        .then(band(pl.col("churn_risk"), CHURN_BANDS, CHURN_LABELS))
        .otherwise(pl.lit(""))
        .alias("churn_risk_band"),
        trust_expr().alias("trust_level"),
        switching_points().alias("switching_cost"),
        (pl.col("revenue") - pl.col("cost")).alias("gross_margin"),
    ).with_columns(
        band(pl.col("switching_cost"), SWITCHING_BANDS, SWITCHING_LABELS, inclusive=True).alias(
            "switching_cost_band"
        ),
        (pl.col("gross_margin") - pl.col("cost_to_serve")).alias("net_contribution"),
        pl.col("value_basis").fill_null(""),
    )
    return frame.select(pl.col(SOURCES.get(c, c)).alias(c) for c in SCORE_COLUMNS)
