"""Customer analytics over HTTP: a customer's scores, the segments, the latest fit, churn records.

Endpoints translate between JSON and rapport.analytics.selectors / services, nothing more.
`router` is mounted by the project (rapport.api.routers); `build_router()` makes a fresh one.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from rapport.analytics import selectors, services
from rapport.analytics.choices import ChurnDestination, ChurnReason
from rapport.analytics.models import ChurnRecord
from rapport.analytics.selectors.segments import segment_summary
from rapport.api.pagination import RequestBody
from rapport.api.permissions import require


class CustomerScoreOut(Schema):
    customer_id: int
    segment: str
    segment_label: str
    r_score: int = Field(description="Recency quintile score, 5 = bought most recently.")
    f_score: int = Field(description="Frequency quintile score (purchase days).")
    m_score: int = Field(description="Monetary quintile score (net spend).")
    p_alive: float | None = Field(
        description="Chance that the customer still buys from you (P(alive) of the model in "
        "`scored_by`); null when the history is too short to forecast."
    )
    expected_purchases: float | None = Field(
        description="Expected purchase days over the horizon (null: no forecast)."
    )
    expected_avg_value: Decimal | None = Field(
        description="Expected value of a purchase day (Gamma-Gamma); see `value_basis`."
    )
    value_basis: str = Field(
        description="What the expected order rests on: `own` (the customer's repeat "
        "purchases), `population` (all customers' average: no repeat purchase yet), `none` "
        "(never paid: 0)."
    )
    clv: Decimal | None = Field(
        description="Discounted expected revenue (or gross margin, see `clv_basis`) over the "
        "next `horizon_weeks`, at `discount_rate` a year; null when there is no forecast."
    )
    churn_risk: float | None = Field(description="1 − P(alive).")
    churn_risk_band: str = Field(description="low, medium, high, or empty without a forecast.")
    churn_risk_label: str
    scored_by: str | None = Field(
        description="The purchase model that scored: pareto_nbd or mbgnbd; empty when the "
        "history was too short to fit one."
    )
    discount_rate: float | None = None
    clv_basis: str | None = Field(None, description="revenue or margin")
    trust_level: str
    trust_label: str
    switching_cost_band: str
    horizon_weeks: int | None
    as_of: date | None = Field(description="The last day of purchases the scores saw.")
    computed_at: datetime


class SegmentOut(Schema):
    segment: str
    label: str
    customers: int
    share: float | None
    revenue: float
    net_contribution: float
    clv: float
    clv_mean: float | None
    p_alive_mean: float | None
    repeat_rate: float | None


class SegmentsOut(Schema):
    items: list[SegmentOut]
    customers: int
    as_of: date | None
    computed_at: datetime | None


class FitOut(Schema):
    id: int
    as_of: date
    computed_at: datetime
    horizon_weeks: int
    discount_rate: float
    customers: int
    purchase_days: int
    summary_strategy: str
    duration_seconds: float
    stages: dict[str, float]
    bgnbd: dict[str, Any]
    pareto_nbd: dict[str, Any]
    gamma_gamma: dict[str, Any]
    mbgnbd: dict[str, Any]
    scored_by: str
    selection: dict[str, Any]
    clv_basis: str
    notes: list[dict[str, Any]]
    holdout: dict[str, Any]


class ChurnIn(RequestBody):
    reason: str = Field(description="One of: " + ", ".join(ChurnReason.values))
    destination: str = Field(
        ChurnDestination.UNKNOWN.value, description="One of: " + ", ".join(ChurnDestination.values)
    )
    note: str = ""


class ChurnOut(Schema):
    id: int
    customer_id: int
    reason: str
    reason_label: str
    destination: str
    destination_label: str
    note: str
    recorded_by: str | None
    recorded_at: datetime


def _churn_out(record: ChurnRecord) -> dict[str, Any]:
    return {
        "id": record.pk,
        "customer_id": record.customer_id,
        "reason": record.reason,
        "reason_label": str(record.get_reason_display()),
        "destination": record.destination,
        "destination_label": str(record.get_destination_display()),
        "note": record.note,
        "recorded_by": record.recorded_by.get_username() if record.recorded_by else None,
        "recorded_at": record.recorded_at,
    }


def build_router() -> Router:
    router = Router(tags=["analytics"])

    @router.get(
        "/analytics/customers/{customer_id}",
        response=CustomerScoreOut,
        summary="A customer's segment, P(alive), forecast, CLV, churn risk and trust level",
    )
    def customer_scores(request: HttpRequest, customer_id: int):
        require(request, "analytics.view_customerscore")
        data = selectors.customer_analytics(customer_id=customer_id)
        if data is None:
            raise HttpError(
                404, _("This customer has no score yet (no purchase, or no refresh since).")
            )
        return data

    @router.get(
        "/analytics/segments",
        response=SegmentsOut,
        summary="Customers, revenue, CLV and repeat rate per segment",
    )
    def segments(request: HttpRequest):
        require(request, "analytics.view_report")
        data = segment_summary(selectors.Filters())
        fit = selectors.latest_fit()
        return {
            "items": data["rows"],
            "customers": data["total"],
            "as_of": fit.as_of if fit else None,
            "computed_at": fit.computed_at if fit else None,
        }

    @router.get(
        "/analytics/fit",
        response=FitOut,
        summary="The latest model fit: parameters, standard errors, holdout check",
    )
    def latest_fit(request: HttpRequest):
        require(request, "analytics.view_modelfit")
        fit = selectors.latest_fit()
        if fit is None:
            raise HttpError(404, _("There is no analysis yet."))
        return fit

    @router.post(
        "/analytics/customers/{customer_id}/churn",
        response={201: ChurnOut},
        summary="Record that a customer left: why and where to",
    )
    def churn(request: HttpRequest, customer_id: int, payload: ChurnIn):
        require(request, "analytics.add_churnrecord")
        from rapport.customers.models import Customer

        customer = get_object_or_404(Customer, pk=customer_id)
        record = services.churn_record(customer=customer, by=request.user, **payload.model_dump())
        return Status(201, _churn_out(record))

    return router


router = build_router()
