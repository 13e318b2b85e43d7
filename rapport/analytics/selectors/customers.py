"""Reads for the customer page, customer lists and the API: one customer's card, the cards of a
list page, and the segment filter of the customer list."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rapport.analytics.choices import ChurnRiskBand, Segment, SwitchingCostBand, TrustLevel
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
    "clv",
    "churn_risk",
    "churn_risk_band",
    "trust_level",
    "switching_cost_band",
    "computed_at",
)


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
