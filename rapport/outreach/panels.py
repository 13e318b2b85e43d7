"""The customer page's moments card and the customer-list filters this app adds."""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone


def moments_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    from rapport.outreach.moments import customer_moments, window

    start, end = window("month", timezone.localdate())
    moments = customer_moments(customer, start, end + timedelta(days=60))
    return {"moments": moments[:8]}


def filter_by_city(queryset: QuerySet, value: str) -> QuerySet:
    return queryset.filter(addresses__city__iexact=value.strip()).distinct()


def filter_by_product(queryset: QuerySet, value: str) -> QuerySet:
    from django.db.models import Q

    from rapport.sales.models import OrderLine

    value = value.strip()
    match = Q(product__sku=value)
    if value.isdigit():
        match |= Q(product_id=int(value))
    buyers = OrderLine.objects.filter(match).values("order__customer_id")
    return queryset.filter(pk__in=buyers)


def outreach_timeline(customer_id: int, limit: int) -> list:
    from rapport.core.timeline import TimelineEntry
    from rapport.outreach.models import OutreachEvent

    rows = OutreachEvent.objects.filter(customer_id=customer_id).order_by("-time", "-id")[:limit]
    return [
        TimelineEntry(time=e.time, kind="outreach", title=e.sentence(), actor=e.user_name)
        for e in rows
    ]


def filter_by_churn_risk(queryset: QuerySet, value: str) -> QuerySet:
    from rapport.analytics.choices import ChurnRiskBand

    if value not in ChurnRiskBand.values:
        return queryset.none()
    return queryset.filter(score__churn_risk_band=value)


def churn_risk_choices() -> list[tuple[str, Any]]:
    from rapport.analytics.choices import ChurnRiskBand

    return list(ChurnRiskBand.choices)
