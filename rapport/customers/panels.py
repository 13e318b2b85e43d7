"""The customer page's panels: the boxes other apps put on it (rapport.core.registry).

Each panel whose permission the user holds is asked for its context and rendered with its own
template; the page places the results in their slots. `customers` never imports the apps that
contribute them.
"""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from rapport.core.registry import customer_panels
from rapport.customers.models import Customer

SLOTS = ("top", "summary", "main", "aside")


def render_panels(request: HttpRequest, customer: Customer) -> dict[str, list[SafeString]]:
    """{slot: [rendered panel, …]} for this user and customer, in each slot's order."""
    out: dict[str, list[SafeString]] = {slot: [] for slot in SLOTS}
    user: Any = request.user
    for panel in customer_panels():
        if panel.permission and not user.has_perm(panel.permission):
            continue
        context = panel.context(request, customer)
        if context is None:
            continue
        html = render_to_string(panel.template, {"customer": customer, **context}, request=request)
        out[panel.slot].append(mark_safe(html))  # noqa: S308  (our own templates, autoescaped)
    return out


def merges_panel(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """The records merged into this one that can still be undone (for managers)."""
    from django.utils import timezone

    from rapport.customers.models import CustomerMerge
    from rapport.customers.services.merging import undo_period

    merges = list(
        CustomerMerge.objects.filter(
            into=customer, undone_at=None, merged_at__gte=timezone.now() - undo_period()
        ).order_by("-merged_at")
    )
    return {"merges": merges} if merges else None
