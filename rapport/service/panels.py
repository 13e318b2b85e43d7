"""What service puts on the customer page and in the customer API."""

from typing import Any

from django.http import HttpRequest

from rapport.service.choices import ServiceKind
from rapport.service.selectors import customer_commitments, customer_service


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    return {**customer_service(customer.pk), "kinds": ServiceKind.choices}


def customer_section(request: HttpRequest, customer: Any) -> list[Any]:
    return customer_commitments(customer.pk)
