"""What surveys put on the customer page and in the customer API (registered in apps.py)."""

from typing import Any

from django.http import HttpRequest

from rapport.surveys.models import Answer
from rapport.surveys.selectors import customer_gaps, gaps_by_attribute


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    data = customer_gaps(customer.pk)
    if not data["by_attribute"] and not data["follow_ups"]:
        return None
    return data


def customer_section(request: HttpRequest, customer: Any) -> list[dict[str, Any]]:
    return [
        {
            "attribute": r.key,
            "label": r.label,
            "n": r.n,
            "expectation": r.expectation,
            "experience": r.experience,
            "gap": r.gap,
            "verdict": r.verdict,
        }
        for r in gaps_by_attribute(Answer.objects.filter(customer_id=customer.pk))
    ]
