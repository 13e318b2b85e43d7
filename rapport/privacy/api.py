"""Privacy over HTTP: a person's access export, their erasure, the read log."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.customers.models import Customer
from rapport.privacy import selectors, services
from rapport.privacy.choices import ReadKind

router = Router(tags=["privacy"])


class EraseIn(Schema):
    reason: str = Field(
        min_length=1,
        max_length=services.REASON_MAX,
        description="Why the data is erased: the person's request, when and how it was made.",
    )


class ErasureOut(Schema):
    customer_id: int
    number: str
    erased_at: datetime
    erased_by: str = Field(alias="erased_by_name")
    reason: str
    report: dict[str, int] = Field(description="Rows deleted or redacted per table (counts only).")


class ReadOut(Schema):
    id: int
    time: datetime
    user: str = Field(alias="user_name")
    kind: str
    customer_id: int | None
    filters: dict[str, Any]
    count: int


class ReadPage(Schema):
    items: list[ReadOut]
    next_cursor: str | None


class ReadFilters(Schema):
    kind: ReadKind | None = None
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(100, ge=1, le=500)


@router.get(
    "/privacy/customers/{int:customer_id}/export",
    summary="Everything held about one person (access request), as JSON in their language",
)
def access_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    require(request, "privacy.export_person")
    customer = get_object_or_404(Customer, pk=customer_id)
    export = selectors.person_export(customer)
    services.read_log(
        by=request.user,
        kind=ReadKind.ACCESS_EXPORT,
        count=1,
        customer_id=customer.pk,
        filters={"format": "json", "via": "api"},
    )
    return HttpResponse(export.json_bytes(), content_type="application/json; charset=utf-8")


@router.post(
    "/privacy/customers/{int:customer_id}/erase",
    response=ErasureOut,
    summary="Erase a person's data on their request (orders stay, anonymous)",
)
def erase(request: HttpRequest, customer_id: int, payload: EraseIn):
    require(request, "privacy.erase_customer")
    customer = get_object_or_404(Customer, pk=customer_id)
    return services.customer_erase(by=request.user, customer=customer, reason=payload.reason)


@router.get("/privacy/reads", response=ReadPage, summary="Reads of personal data, newest first")
def reads(request: HttpRequest, params: Query[ReadFilters]):
    require(request, "privacy.view_personaldataread")
    qs = selectors.read_log_queryset(kind=params.kind or "")
    try:
        return keyset_page(qs, ordering=["-time", "-id"], cursor=params.cursor, size=params.limit)
    except (ValueError, TypeError):
        return keyset_page(qs, ordering=["-time", "-id"], cursor=None, size=params.limit)
