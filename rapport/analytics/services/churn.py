"""Churn records: why a customer left and where they went (DOMAIN §2), with a history row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.analytics.choices import ChurnDestination, ChurnReason
from rapport.analytics.models import ChurnRecord
from rapport.core.choices import ChangeAction
from rapport.core.services import record_change


@transaction.atomic
def churn_record(
    *,
    customer: Any,
    reason: str,
    destination: str = ChurnDestination.UNKNOWN,
    note: str = "",
    by: Any,
    recorded_at: datetime | None = None,
) -> ChurnRecord:
    """Record that a customer left, why and where to; the customer's history gets a row."""
    errors: dict[str, list[str]] = {}
    if reason not in ChurnReason.values:
        errors["reason"] = [_("Choose one of the listed reasons.")]
    if destination not in ChurnDestination.values:
        errors["destination"] = [_("Choose one of the listed destinations.")]
    if len(note) > 2000:
        errors["note"] = [_("The note is too long (at most 2,000 characters).")]
    if errors:
        raise ValidationError(errors)
    record = ChurnRecord.objects.create(
        customer=customer,
        reason=reason,
        destination=destination,
        note=note.strip(),
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
        recorded_at=recorded_at or timezone.now(),
    )
    record_change(
        obj=record,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer.pk,
        changes={
            "reason": [None, reason],
            "destination": [None, destination],
            **({"note": [None, record.note]} if record.note else {}),
        },
    )
    return record
