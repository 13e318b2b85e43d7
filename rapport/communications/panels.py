"""What communications puts on the customer page and in the customer API (registered in apps.py)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import get_language

from rapport.communications.selectors import remembered_details


def remembered_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    details = remembered_details(customer_id=customer.pk)
    return {"details": details} if details else None


def interaction_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    from rapport.communications.views import blank_interaction_form

    return {"interaction_form": blank_interaction_form(get_language())}


def remembered_section(request: HttpRequest, customer: Any) -> list[Any]:
    return remembered_details(customer_id=customer.pk)
