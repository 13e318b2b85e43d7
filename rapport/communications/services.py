"""Logging contacts with customers and keeping what they mentioned."""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.communications.choices import DetailKind, Direction, InteractionKind
from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change


def _check_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )


@transaction.atomic
def interaction_log(
    *,
    by: Any,
    customer_id: int,
    kind: str,
    direction: str,
    summary: str,
    subject: str = "",
    occurred_at=None,
    organisation_id: int | None = None,
    details: list[dict[str, Any] | str] | None = None,
) -> Interaction:
    """Record one contact and the details the customer mentioned in it."""
    _check_choice(kind, InteractionKind, "kind")
    _check_choice(direction, Direction, "direction")
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("Write what was said.")]})
    interaction = Interaction.objects.create(
        customer_id=customer_id,
        organisation_id=organisation_id,
        kind=kind,
        direction=direction,
        staff=by if getattr(by, "is_authenticated", False) else None,
        occurred_at=occurred_at or timezone.now(),
        subject=subject.strip(),
        summary=summary.strip(),
    )
    for item in details or []:
        spec = {"text": item} if isinstance(item, str) else item
        if (spec.get("text") or "").strip():
            detail_add(by=by, customer_id=customer_id, interaction=interaction, **spec)
    return interaction


@transaction.atomic
def detail_add(
    *,
    by: Any,
    customer_id: int,
    text: str,
    kind: str = DetailKind.OTHER,
    relevant_on=None,
    pinned: bool = False,
    interaction: Interaction | None = None,
) -> RememberedDetail:
    """Remember something the customer mentioned; it stands at the top of their page."""
    _check_choice(kind, DetailKind, "kind")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the detail.")]})
    detail = RememberedDetail.objects.create(
        customer_id=customer_id,
        interaction=interaction,
        kind=kind,
        text=text[:500],
        relevant_on=relevant_on,
        pinned=pinned,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    record_change(
        obj=detail,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=customer_id,
        changes={"remembered_detail": [None, detail.text], "kind": [None, kind]},
    )
    return detail


@transaction.atomic
def detail_archive(*, by: Any, detail_id: int) -> RememberedDetail:
    detail = RememberedDetail.objects.select_for_update().get(pk=detail_id)
    if not detail.archived:
        detail.archived = True
        detail.save(update_fields=["archived", "updated_at"])
        record_change(
            obj=detail,
            action=ChangeAction.UPDATE,
            by=by,
            customer_id=detail.customer_id,
            changes={"archived": [False, True]},
        )
    return detail
