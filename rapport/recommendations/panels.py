"""What recommendations put on the customer page, the customer API and the customer list."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    from rapport.recommendations.selectors import as_dicts, customer_recommendations

    return {"recommendations": as_dicts(customer_recommendations(customer.pk)[:5])}


def customer_section(request: HttpRequest, customer: Any) -> list[dict[str, Any]]:
    from rapport.recommendations.selectors import as_dicts, customer_recommendations

    return as_dicts(customer_recommendations(customer.pk))


def filter_by_recommended_product(queryset: QuerySet, value: str) -> QuerySet:
    from rapport.recommendations.selectors import filter_customers_by_recommended_product

    return filter_customers_by_recommended_product(queryset, value)
