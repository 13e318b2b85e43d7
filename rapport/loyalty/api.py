"""Membership and loyalty over HTTP: tiers, points (the ledger), referrals, the leaderboard."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status

from rapport.api.pagination import RequestBody
from rapport.api.permissions import require
from rapport.customers.models import Customer
from rapport.loyalty import selectors, services
from rapport.loyalty.models import PointsEntry, PointsRule, Tier

router = Router(tags=["loyalty"])


class TierIn(RequestBody):
    name: str
    rank: int
    min_spend: Decimal = Decimal(0)
    min_points: int = 0
    window_days: int = 365
    discount_percent: Decimal = Decimal(0)
    free_items: str = ""
    free_services: str = ""


class TierOut(Schema):
    id: int
    name: str
    rank: int
    min_spend: Decimal
    min_points: int
    window_days: int
    discount_percent: Decimal
    free_items: str
    free_services: str


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    reason: str
    order_id: int | None
    expires_on: str | None = None
    at: datetime
    user_name: str


class PointsIn(RequestBody):
    points: int = Field(description="Positive: spent; for an adjustment, signed.")
    reason: str


class AccountOut(Schema):
    customer_id: int
    tier: str | None
    balance: int
    referral_code: str
    referral_link: str
    entries: list[EntryOut]


class ReferralIn(RequestBody):
    code: str = Field(description="The referral code the new customer came with.")


class LeaderOut(Schema):
    referrer_id: int
    name: str
    referred: int
    rewarded: int


@router.get("/loyalty/tiers", response=list[TierOut], summary="Membership tiers")
def tier_list(request: HttpRequest):
    require(request, "loyalty.view_tier")
    return list(Tier.objects.order_by("rank"))


@router.post("/loyalty/tiers", response={201: TierOut}, summary="Add a tier")
def tier_create(request: HttpRequest, payload: TierIn):
    require(request, "loyalty.add_tier")
    return Status(201, services.tier_create(by=request.user, **payload.model_dump()))


class PointsRuleIn(RequestBody):
    product_id: int | None = Field(None, description="The product (or give a category).")
    category: str = ""
    points_per_unit: Decimal | None = Field(
        description="Points per unit of money spent; null removes the rule."
    )


class PointsRuleOut(Schema):
    product_id: int | None
    category: str
    points_per_unit: Decimal


@router.get("/loyalty/points-rules", response=list[PointsRuleOut], summary="Points rules")
def points_rule_list(request: HttpRequest):
    """Points per unit of money by product or category (others earn the default)."""
    require(request, "loyalty.view_pointsrule")
    return list(PointsRule.objects.order_by("category", "product_id"))


@router.put(
    "/loyalty/points-rules",
    response={200: PointsRuleOut, 204: None},
    summary="Set or remove the points rule of a product or category",
)
def points_rule_set(request: HttpRequest, payload: PointsRuleIn):
    require(request, "loyalty.change_pointsrule")
    rule = services.points_rule_set(by=request.user, **payload.model_dump())
    return rule if rule is not None else Status(204, None)


def _account(customer_id: int) -> AccountOut:
    account = services.account_ensure(customer_id)
    account.refresh_from_db()
    entries = PointsEntry.objects.filter(customer_id=customer_id).order_by("-at", "-pk")[:100]
    return AccountOut(
        customer_id=customer_id,
        tier=account.tier.name if account.tier else None,
        balance=services.balance(customer_id),
        referral_code=account.referral_code,
        referral_link=services.referral_link(customer_id),
        entries=[
            EntryOut(
                id=e.pk,
                kind=e.kind,
                points=e.points,
                reason=e.reason,
                order_id=e.order_id,
                expires_on=e.expires_on.isoformat() if e.expires_on else None,
                at=e.at,
                user_name=e.user_name,
            )
            for e in entries
        ],
    )


@router.get(
    "/loyalty/customers/{int:customer_id}",
    response=AccountOut,
    summary="A customer's membership and points",
)
def account_detail(request: HttpRequest, customer_id: int):
    require(request, "loyalty.view_pointsentry")
    get_object_or_404(Customer, pk=customer_id)
    return _account(customer_id)


@router.post(
    "/loyalty/customers/{int:customer_id}/spend",
    response=AccountOut,
    summary="Spend points on a reward",
)
def points_spend(request: HttpRequest, customer_id: int, payload: PointsIn):
    require(request, "loyalty.add_pointsentry")
    get_object_or_404(Customer, pk=customer_id)
    services.points_spend(
        customer_id=customer_id, points=payload.points, reason=payload.reason, by=request.user
    )
    services.tier_evaluate(customer_id=customer_id, by=request.user)
    return _account(customer_id)


@router.post(
    "/loyalty/customers/{int:customer_id}/adjust",
    response=AccountOut,
    summary="Adjust points (with a reason)",
)
def points_adjust(request: HttpRequest, customer_id: int, payload: PointsIn):
    require(request, "loyalty.adjust_points")
    get_object_or_404(Customer, pk=customer_id)
    services.points_adjust(
        customer_id=customer_id, points=payload.points, reason=payload.reason, by=request.user
    )
    services.tier_evaluate(customer_id=customer_id, by=request.user)
    return _account(customer_id)


@router.post(
    "/loyalty/customers/{int:customer_id}/referral",
    response={201: AccountOut},
    summary="Link a customer to the customer whose referral code they came with",
)
def referral_record(request: HttpRequest, customer_id: int, payload: ReferralIn):
    require(request, "loyalty.add_referral")
    get_object_or_404(Customer, pk=customer_id)
    services.referral_record(referred_id=customer_id, code=payload.code, by=request.user)
    return Status(201, _account(customer_id))


@router.get(
    "/loyalty/leaderboard", response=list[LeaderOut], summary="Who brought the most customers"
)
def leaderboard(request: HttpRequest):
    require(request, "loyalty.view_referral")
    return [
        LeaderOut(
            referrer_id=r["referrer_id"],
            name=r["referrer__display_name"],
            referred=r["referred"],
            rewarded=r["rewarded"],
        )
        for r in selectors.leaderboard()
    ]
