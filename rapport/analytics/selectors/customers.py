"""Reads for the customer page, customer lists and the API: one customer's card, the cards of a
list page, and the segment filter of the customer list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rapport.analytics.choices import (
    ChurnRiskBand,
    ClvBasis,
    ScoringModel,
    Segment,
    SwitchingCostBand,
    TrustLevel,
    ValueBasis,
)
from rapport.analytics.models import CustomerScore, ModelFit
from rapport.analytics.selectors.common import SEGMENTS

CARD_FIELDS = (
    "customer_id",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "value_basis",
    "clv",
    "churn_risk",
    "churn_risk_band",
    "trust_level",
    "switching_cost_band",
    "computed_at",
)


def _card(row: dict[str, Any]) -> dict[str, Any]:
    band = row["churn_risk_band"]
    return {
        **row,
        "segment_label": str(Segment(row["segment"]).label),
        "churn_risk_label": str(ChurnRiskBand(band).label) if band else "",
        "trust_label": str(TrustLevel(row["trust_level"]).label),
        "switching_cost_label": str(SwitchingCostBand(row["switching_cost_band"]).label),
        "population_estimate": row["value_basis"] == ValueBasis.POPULATION,
    }


FIT_FIELDS = ("horizon_weeks", "as_of", "discount_rate", "scored_by", "clv_basis")


def customer_analytics(*, customer_id: int) -> dict[str, Any] | None:
    """The customer's segment (and label), P(alive), expected purchases, expected average order
    (and whether it is the customer's own or the population's), CLV, churn risk band, trust
    level, when they were computed, and from the latest fit: the horizon, the discount rate,
    what CLV counts (revenue or margin) and the model that scored (`scored_by`, "" when the
    history was too short to forecast); None before their first purchase or the first refresh.
    Two queries."""
    row = CustomerScore.objects.filter(pk=customer_id).values(*CARD_FIELDS).first()
    if row is None:
        return None
    fit = ModelFit.objects.order_by("-computed_at").values(*FIT_FIELDS).first() or {}
    scored_by = fit.get("scored_by", "")
    return {
        **_card(row),
        **{k: fit.get(k) for k in FIT_FIELDS},
        "scored_by_label": str(ScoringModel(scored_by).label) if scored_by else "",
        "clv_is_margin": fit.get("clv_basis") == ClvBasis.MARGIN,
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
