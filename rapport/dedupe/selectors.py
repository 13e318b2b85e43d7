"""Reads: the review queue with the customers and the evidence in words; the decisions."""

from __future__ import annotations

from django.db.models import QuerySet

from rapport.dedupe.models import DuplicatePair, NotSamePerson


def queue() -> QuerySet[DuplicatePair]:
    """Highest score first (keyset by -score, id)."""
    return DuplicatePair.objects.select_related("first", "second")


def decisions() -> QuerySet[NotSamePerson]:
    return NotSamePerson.objects.select_related("first", "second", "decided_by")
