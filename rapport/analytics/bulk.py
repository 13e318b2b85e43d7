"""The analytics app's writer for its business data: reasons customers left (churn records), many
at a time (demo data, imports), recorded in each customer's history as `services.churn_record`
records one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from rapport.analytics.models import ChurnRecord
from rapport.core.actors import Actor, actor_user
from rapport.core.bulk import History, insert_rows
from rapport.core.services import ORIGIN


@dataclass(slots=True)
class NewChurnRecord:
    customer_id: int
    reason: str
    destination: str = "unknown"
    note: str = ""
    recorded_at: datetime | None = None


def churn_records_insert(
    rows: Sequence[NewChurnRecord], *, by: Actor, note: str = "", history_times: bool = False
) -> list[int]:
    if not rows:
        return []
    now = timezone.now()
    user = actor_user(by)
    ids = insert_rows(
        ChurnRecord,
        ("customer_id", "reason", "destination", "note", "recorded_by_id", "recorded_at"),
        [
            (
                r.customer_id,
                r.reason,
                r.destination,
                r.note,
                user.pk if user else None,
                r.recorded_at or now,
            )
            for r in rows
        ],
        returning=True,
    )
    history = History(ChurnRecord, by)
    for pk, r in zip(ids, rows, strict=True):
        changes = {"reason": [None, r.reason], "destination": [None, r.destination]}
        if r.note:
            changes["note"] = [None, r.note]
        if note:
            changes[ORIGIN] = [None, note]
        history.add_create(
            pk,
            f"{r.customer_id}: {r.reason}",
            r.customer_id,
            changes,
            time=(r.recorded_at or now) if history_times else None,
        )
    history.flush()
    return ids
