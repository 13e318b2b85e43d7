"""What sales puts on the customer page and in the customer API (registered in apps.py)."""

from typing import Any

from django.http import HttpRequest

from rapport.sales.selectors import KeyFigures, customer_key_figures


def key_figures_panel(request: HttpRequest, customer: Any) -> dict[str, Any]:
    return {"figures": customer_key_figures(customer_id=customer.pk)}


def key_figures_section(request: HttpRequest, customer: Any) -> KeyFigures:
    return customer_key_figures(customer_id=customer.pk)
