"""The communication log's writer: interactions and the details customers mentioned in them, rows
in, ids out. The page, the API and the demo generator all log contacts here, so a remembered detail
is always dated with its conversation and recorded the same way."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone

from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.actors import Actor, actor_user
from rapport.core.bulk import History, insert_rows
from rapport.core.services import ORIGIN

DETAIL_LENGTH = 500


@dataclass(slots=True)
class NewDetail:
    text: str
    kind: str = "other"
    relevant_on: date | None = None
    pinned: bool = False
    archived: bool = False


@dataclass(slots=True)
class NewInteraction:
    customer_id: int
    kind: str
    direction: str
    summary: str
    subject: str = ""
    occurred_at: datetime | None = None
    organisation_id: int | None = None
    details: Sequence[NewDetail] = field(default_factory=list)


_INTERACTION_COLUMNS = (
    "customer_id",
    "organisation_id",
    "kind",
    "direction",
    "staff_id",
    "occurred_at",
    "subject",
    "summary",
    "created_at",
    "updated_at",
)
_DETAIL_COLUMNS = (
    "customer_id",
    "interaction_id",
    "kind",
    "text",
    "relevant_on",
    "pinned",
    "archived",
    "created_by_id",
    "created_at",
    "updated_at",
)


def interactions_insert(
    rows: Sequence[NewInteraction], *, by: Actor, note: str = "", history_times: bool = False
) -> list[int]:
    """Log contacts and the details mentioned in them; each detail is dated with its conversation
    and recorded in the customer's history. Returns the interactions' ids."""
    if not rows:
        return []
    now = timezone.now()
    user = actor_user(by)
    staff = user.pk if user is not None else None
    ids = insert_rows(
        Interaction,
        _INTERACTION_COLUMNS,
        [
            (
                r.customer_id,
                r.organisation_id,
                r.kind,
                r.direction,
                staff,
                r.occurred_at or now,
                r.subject,
                r.summary,
                now,
                now,
            )
            for r in rows
        ],
        returning=True,
    )
    details_insert(
        [
            (r.customer_id, d, pk, r.occurred_at or now)
            for pk, r in zip(ids, rows, strict=True)
            for d in r.details
        ],
        by=by,
        note=note,
        history_times=history_times,
    )
    return ids


def details_insert(
    rows: Sequence[tuple[int, NewDetail, int | None, datetime | None]],
    *,
    by: Actor,
    note: str = "",
    history_times: bool = False,
) -> list[int]:
    """Remember details: (customer id, detail, interaction id or None, when it was said)."""
    if not rows:
        return []
    now = timezone.now()
    user = actor_user(by)
    author = user.pk if user is not None else None
    ids = insert_rows(
        RememberedDetail,
        _DETAIL_COLUMNS,
        [
            (
                customer_id,
                interaction_id,
                d.kind,
                d.text[:DETAIL_LENGTH],
                d.relevant_on,
                d.pinned,
                d.archived,
                author,
                said or now,
                said or now,
            )
            for customer_id, d, interaction_id, said in rows
        ],
        returning=True,
    )
    history = History(RememberedDetail, by)
    for pk, (customer_id, d, _interaction, said) in zip(ids, rows, strict=True):
        changes = {"remembered_detail": [None, d.text[:DETAIL_LENGTH]], "kind": [None, d.kind]}
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(
            pk, d.text[:200], customer_id, changes, time=(said or now) if history_times else None
        )
    history.flush()
    return ids
