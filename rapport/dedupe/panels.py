"""What the duplicate finder puts on the customer page."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    """The queue's pairs with this customer (one query); left out when there are none."""
    from rapport.dedupe.evidence import describe
    from rapport.dedupe.models import DuplicatePair

    pairs = list(
        DuplicatePair.objects.filter(Q(first_id=customer.pk) | Q(second_id=customer.pk))
        .select_related("first", "second")
        .order_by("-score", "id")[:5]
    )
    if not pairs:
        return None
    return {
        "duplicates": [
            {
                "pair": p,
                "other": p.second if p.first_id == customer.pk else p.first,
                "words": describe(p.evidence),
            }
            for p in pairs
        ]
    }
