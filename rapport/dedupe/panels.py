"""What the duplicate finder puts on the customer page."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest

SHOWN = 5  # the customer's best-scored pairs on their page


def customer_panel(request: HttpRequest, customer: Any) -> dict[str, Any] | None:
    """The queue's best pairs with this customer; left out when there are none. One query for
    a customer in no pair (most of them), two otherwise."""
    from rapport.dedupe.evidence import describe
    from rapport.dedupe.models import DuplicatePair

    # The scores of all the customer's pairs through the two foreign-key indexes, ranked here:
    # ORDER BY score … LIMIT in SQL made PostgreSQL walk the whole queue index (90 ms at 96,000
    # pairs) for the many customers in no pair. A customer is in a handful of pairs at most.
    scored = DuplicatePair.objects.filter(Q(first_id=customer.pk) | Q(second_id=customer.pk))
    best = sorted(scored.values_list("score", "id"), key=lambda x: (-x[0], x[1]))[:SHOWN]
    if not best:
        return None
    pairs = list(
        DuplicatePair.objects.filter(pk__in=[pk for _score, pk in best])
        .select_related("first", "second")
        .order_by("-score", "id")
    )
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
