"""The complaints' contributions to the customer page and the customer API."""

from typing import Any

from django.http import HttpRequest

from rapport.complaints import selectors


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    return {
        "complaints": selectors.customer_complaints(customer.pk, request.user),
        "can_add": request.user.has_perm("complaints.add_complaint"),
    }


def customer_section(request: HttpRequest, customer: Any) -> list[Any]:
    from rapport.complaints.choices import CLOSED_STATES

    return [
        c
        for c in selectors.customer_complaints(customer.pk, request.user, limit=50)
        if c.state not in CLOSED_STATES
    ]
