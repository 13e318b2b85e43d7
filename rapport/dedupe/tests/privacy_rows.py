"""Rows of the duplicate finder for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from django.utils import timezone

from rapport.dedupe.models import DuplicatePair, NotSamePerson


def make_rows(customer, other, staff, product) -> list[str]:
    """Derived proposals and a remembered decision: the person on both sides of a pair (the finder
    stores the smaller id first)."""
    now = timezone.now()
    for first, second in [(customer.pk, other.pk), (other.pk, customer.pk)]:
        DuplicatePair.objects.create(first_id=first, second_id=second, score=3.0, found_at=now)
        NotSamePerson.objects.create(
            first_id=first, second_id=second, decided_at=now, decided_by=staff,
            note="decision-note-zq",
        )  # fmt: skip
    return ["decision-note-zq"]
