"""Rows of the recommendations for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from django.utils import timezone

from rapport.recommendations.models import HistoryMark, Recommendation


def make_rows(customer, other, staff, product) -> list[str]:
    """Derived rows only: a computed recommendation and the purchase-count mark (no free text)."""
    Recommendation.objects.create(
        customer=customer, product=product, rank=1, score=1.0, reason="popular",
        method="popularity", computed_at=timezone.now(),
    )  # fmt: skip
    HistoryMark.objects.create(customer=customer, lines=1)
    return []
