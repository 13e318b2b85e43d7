"""What analytics puts on the customer page and the customer list (registered in apps.py)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest


def card_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    from rapport.analytics.selectors import customer_analytics

    return {"analytics": customer_analytics(customer_id=customer.pk)}


def filter_by_segment(queryset: QuerySet, value: str) -> QuerySet:
    from rapport.analytics.selectors import filter_customers_by_segment

    return filter_customers_by_segment(queryset, value)
