"""The privacy boxes on the customer page."""

from typing import Any

from django.http import HttpRequest


def privacy_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    return {
        "customer": customer,
        "can_erase": request.user.has_perm("privacy.erase_customer"),
    }


def erased_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    from rapport.privacy.selectors import latest_erasure

    if customer.display_name != customer.number:  # an erased record is named by its number only
        return None
    erasure = latest_erasure(customer.pk)
    return None if erasure is None else {"erasure": erasure}
