"""Keeping in touch over HTTP: moments, campaigns, coupons and events."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from rapport.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Paged, RequestBody
from rapport.api.permissions import require
from rapport.core.pagination import invalid_cursor
from rapport.customers.selectors import customer_queryset
from rapport.outreach import services
from rapport.outreach.choices import (
    CampaignChannel,
    CampaignKind,
    ChurnThreshold,
    EventKind,
    Schedule,
)
from rapport.outreach.models import Campaign, CompanyEvent, Coupon
from rapport.outreach.moments import moments_page, parse_mark, window

router = Router(tags=["outreach"])


class MomentOut(Schema):
    day: date
    kind: str
    title: str
    suggested_action: str
    customer_id: int | None
    customer_name: str
    customers: int
    country: str


class MomentsParams(Schema):
    view: str = "week"
    segment: str = ""
    tag: str = ""
    city: str = ""
    cursor: str | None = Field(
        None, description="The `next_cursor` of the previous page; leave out for the first page."
    )
    limit: int = Field(
        DEFAULT_LIMIT,
        ge=1,
        le=MAX_LIMIT,
        description="Personal moments per page, 1 to 200 (a customer's moments of one day are "
        "never split, so a page may hold a few more).",
    )


@router.get("/outreach/moments", response=Paged[MomentOut], summary="Coming moments")
def moments_list(request: HttpRequest, params: Query[MomentsParams]):
    """Birthdays (lunar where kept), anniversaries, holidays and invitations this week or month:
    the holidays on the first page, then the personal moments soonest first and by name within a
    day, a page at a time."""
    require(request, "outreach.view_campaign")
    start, end = window(params.view, timezone.localdate())
    filters = {k: v for k, v in params.dict().items() if k not in ("view", "cursor", "limit") and v}
    if params.cursor and parse_mark(params.cursor) is None:
        raise invalid_cursor()
    page = moments_page(
        customer_queryset(filters=filters), start, end, after=params.cursor or "", size=params.limit
    )
    items = [
        MomentOut(
            day=m.day,
            kind=m.kind,
            title=m.title,
            suggested_action=m.action,
            customer_id=m.customer_id,
            customer_name=m.customer_name,
            customers=m.customers,
            country=m.country,
        )
        for m in page.holidays + page.moments
    ]
    return {"items": items, "next_cursor": page.after or None}


# Campaigns -------------------------------------------------------------------------------------


class CampaignText(RequestBody):
    language: str = Field(description="en, zh-hans, zh-hant or sk")
    subject: str
    body: str = Field(description="With merge fields such as {{ name }} and {{ coupon_code }}.")


class CampaignIn(RequestBody):
    name: str
    kind: str = Field(CampaignKind.CAMPAIGN.value, json_schema_extra={"enum": CampaignKind.values})
    channel: str = Field(
        CampaignChannel.EMAIL.value, json_schema_extra={"enum": CampaignChannel.values}
    )
    audience: dict[str, str] = Field(
        default_factory=dict, description="Customer-list filters: tag, segment, city, tier, …"
    )
    schedule: str = Field(Schedule.ONCE.value, json_schema_extra={"enum": Schedule.values})
    days: int = 0
    churn_threshold: str = Field(
        ChurnThreshold.MEDIUM.value,
        json_schema_extra={"enum": ChurnThreshold.values},
        description="Schedule churn_rises: the churn-risk band a rise must reach.",
    )
    send_at: datetime | None = None
    coupon_id: int | None = None
    event_id: int | None = Field(
        None, description="Invite the recipients to this event (RSVP link)."
    )
    messages: list[CampaignText]


class RunOut(Schema):
    occurrence: str
    total: int
    done: int
    finished: bool


class CampaignOut(Schema):
    id: int
    name: str
    kind: str
    channel: str
    audience: dict
    schedule: str
    days: int
    churn_threshold: str
    state: str
    coupon_code: str | None
    runs: list[RunOut] = []


class PreviewOut(Schema):
    customer_id: int
    language: str
    subject: str
    body: str


def _campaign_out(campaign: Campaign, *, runs: bool = False) -> CampaignOut:
    found = []
    if runs:
        for r in campaign.runs.order_by("-pk")[:20]:
            p = services.run_progress(r)
            found.append(
                RunOut(
                    occurrence=r.occurrence,
                    total=p["total"],
                    done=p["done"],
                    finished=r.finished_at is not None,
                )
            )
    return CampaignOut(
        id=campaign.pk,
        name=campaign.name,
        kind=campaign.kind,
        channel=campaign.channel,
        audience=campaign.audience,
        schedule=campaign.schedule,
        days=campaign.days,
        churn_threshold=campaign.churn_threshold,
        state=campaign.state,
        coupon_code=campaign.coupon.code if campaign.coupon else None,
        runs=found,
    )


@router.get("/outreach/campaigns", response=list[CampaignOut], summary="Campaigns, newest first")
def campaign_list(request: HttpRequest):
    require(request, "outreach.view_campaign")
    return [
        _campaign_out(c) for c in Campaign.objects.select_related("coupon").order_by("-pk")[:500]
    ]


@router.post("/outreach/campaigns", response={201: CampaignOut}, summary="Define a campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn):
    require(request, "outreach.add_campaign")
    data = payload.model_dump()
    campaign = services.campaign_create(by=request.user, **data)
    return Status(201, _campaign_out(campaign))


@router.get(
    "/outreach/campaigns/{int:campaign_id}",
    response=CampaignOut,
    summary="A campaign and its sending progress",
)
def campaign_detail(request: HttpRequest, campaign_id: int):
    require(request, "outreach.view_campaign")
    return _campaign_out(
        get_object_or_404(Campaign.objects.select_related("coupon"), pk=campaign_id), runs=True
    )


@router.get(
    "/outreach/campaigns/{int:campaign_id}/preview",
    response=list[PreviewOut],
    summary="The campaign as real customers of its audience get it, in one language",
)
def campaign_preview(request: HttpRequest, campaign_id: int, language: str = "en"):
    require(request, "outreach.view_campaign")
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return [
        PreviewOut(
            customer_id=p["customer"].pk,
            language=p["language"],
            subject=p["subject"],
            body=p["body"],
        )
        for p in services.preview(campaign, language)
    ]


@router.post(
    "/outreach/campaigns/{int:campaign_id}/send",
    response=CampaignOut,
    summary="Activate the campaign; a one-off without a time is sent at once (in the background)",
)
def campaign_send(request: HttpRequest, campaign_id: int):
    require(request, "outreach.send_campaign")
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    services.campaign_set_state(by=request.user, campaign_id=campaign.pk, state="active")
    if campaign.schedule == Schedule.ONCE and campaign.send_at is None:
        services.campaign_start(by=request.user, campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return _campaign_out(campaign, runs=True)


# Coupons ---------------------------------------------------------------------------------------


class CouponIn(RequestBody):
    code: str
    name: str = ""
    amount: Decimal | None = None
    percent: Decimal | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    product_id: int | None = None
    max_redemptions: int | None = Field(None, description="1 makes the code single-use.")
    once_per_customer: bool = True
    is_trial: bool = False


class CouponOut(Schema):
    id: int
    code: str
    name: str
    amount: Decimal | None
    percent: Decimal | None
    valid_from: date | None
    valid_until: date | None
    product_id: int | None
    max_redemptions: int | None
    once_per_customer: bool
    is_trial: bool
    redeemed: int


class RedeemIn(RequestBody):
    code: str
    order_id: int


class RedemptionOut(Schema):
    id: int
    coupon_id: int
    customer_id: int
    order_id: int | None
    campaign_id: int | None


@router.get("/outreach/coupons", response=list[CouponOut], summary="Coupons and free trials")
def coupon_list(request: HttpRequest):
    require(request, "outreach.view_coupon")
    return list(Coupon.objects.order_by("-pk")[:500])


@router.post("/outreach/coupons", response={201: CouponOut}, summary="Create a coupon")
def coupon_create(request: HttpRequest, payload: CouponIn):
    require(request, "outreach.add_coupon")
    return Status(201, services.coupon_create(by=request.user, **payload.model_dump()))


@router.post(
    "/outreach/coupons/redeem", response={201: RedemptionOut}, summary="Redeem a coupon on an order"
)
def coupon_redeem(request: HttpRequest, payload: RedeemIn):
    require(request, "outreach.add_couponredemption")
    return Status(
        201, services.coupon_redeem(by=request.user, code=payload.code, order_id=payload.order_id)
    )


# Events ----------------------------------------------------------------------------------------


class EventIn(RequestBody):
    name: str
    kind: str = Field(json_schema_extra={"enum": EventKind.values})
    starts_at: datetime
    place: str = ""
    description: str = ""


class EventOut(Schema):
    id: int
    name: str
    kind: str
    starts_at: datetime
    place: str
    invited: int = 0
    coming: int = 0
    came: int = 0


class AttendanceIn(RequestBody):
    customer_ids: list[int]


@router.get("/outreach/events", response=list[EventOut], summary="Company events and their answers")
def event_list(request: HttpRequest):
    from django.db.models import Count, Q

    require(request, "outreach.view_companyevent")
    return list(
        CompanyEvent.objects.annotate(
            invited=Count("invitations"),
            coming=Count("invitations", filter=Q(invitations__rsvp="yes")),
            came=Count("invitations", filter=Q(invitations__attended=True)),
        ).order_by("-starts_at")[:500]
    )


@router.post("/outreach/events", response={201: EventOut}, summary="Create an event")
def event_create(request: HttpRequest, payload: EventIn):
    require(request, "outreach.add_companyevent")
    return Status(201, services.event_create(by=request.user, **payload.model_dump()))


@router.post(
    "/outreach/events/{int:event_id}/attendance",
    response=EventOut,
    summary="Record who came (invited or not)",
)
def event_attendance(request: HttpRequest, event_id: int, payload: AttendanceIn):
    require(request, "outreach.change_invitation")
    event = get_object_or_404(CompanyEvent, pk=event_id)
    services.attendance_record(
        by=request.user, event_id=event.pk, customer_ids=payload.customer_ids
    )
    return next(e for e in event_list(request) if e.pk == event.pk)
