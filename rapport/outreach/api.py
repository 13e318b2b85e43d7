"""Keeping in touch over HTTP: moments, campaigns, coupons and events."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema

from rapport.api.permissions import require
from rapport.customers.selectors import customer_queryset
from rapport.outreach.moments import moments_between, window

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


@router.get("/moments", response=list[MomentOut], summary="Coming moments")
def moments_list(request: HttpRequest, params: Query[MomentsParams]):
    """Birthdays (lunar where kept), anniversaries, holidays and invitations this week or month."""
    require(request, "outreach.view_campaign")
    start, end = window(params.view, timezone.localdate())
    filters = {k: v for k, v in params.dict().items() if k != "view" and v}
    found, _total = moments_between(customer_queryset(filters=filters), start, end)
    return [
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
        for m in found
    ]
