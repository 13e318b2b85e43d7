"""The complaints' writer for many rows at once (the importer, the demo data): rows in, ids out,
the reference, deadlines, the "recorded" event (and a closing step for a complaint imported
closed) and the history row computed here once."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from rapport.complaints import deadlines
from rapport.complaints.choices import CLOSED_STATES, EventType, State
from rapport.complaints.models import Complaint, ComplaintEvent
from rapport.core.actors import Actor, actor_name, actor_user
from rapport.core.bulk import History


def complaints_insert(rows: list[dict[str, Any]], *, by: Actor, note: str = "") -> list[int]:
    """Create complaints from field dicts (customer_id, received_at, channel, category,
    description, …; `state` defaults to new). No mail goes out: these are history or demo rows."""
    if not rows:
        return []
    user, name = actor_user(by), actor_name(by)[:150]
    now = timezone.now()
    objs = []
    clock = deadlines.clock_for(None)
    for row in rows:
        fields = dict(row)
        fields.setdefault("received_at", now)
        fields.setdefault("state", State.NEW)
        if fields["state"] in CLOSED_STATES:
            fields.setdefault("closed_at", fields["received_at"])
        for key, value in deadlines.initial(fields["received_at"], clock=clock).items():
            fields.setdefault(key, value)
        if fields["state"] != State.NEW:
            fields["due_at"] = fields.get("resolve_due") or fields["due_at"]
        fields.setdefault("created_by", user)
        objs.append(Complaint(**fields))
    with transaction.atomic():
        created = Complaint.objects.bulk_create(objs, batch_size=1000)
        if any(c.pk is None for c in created):  # backends that return no ids
            raise RuntimeError("bulk_create returned no ids")
        for c in created:
            if not c.reference:
                c.reference = f"K{c.received_at:%y}-{c.pk:06d}"
        Complaint.objects.bulk_update(created, ["reference"], batch_size=1000)
        events = []
        for c in created:
            events.append(
                ComplaintEvent(
                    complaint=c,
                    customer_id=c.customer_id,
                    time=c.received_at,
                    user=user,
                    user_name=name,
                    type=EventType.RECORDED,
                    to_state=State.NEW,
                    parameters={"reference": c.reference, "channel": c.channel},
                )
            )
            if c.state != State.NEW:
                events.append(
                    ComplaintEvent(
                        complaint=c,
                        customer_id=c.customer_id,
                        time=c.closed_at or c.received_at,
                        user=user,
                        user_name=name,
                        type=EventType.TRANSITION,
                        action="import",
                        from_state=State.NEW,
                        to_state=c.state,
                        parameters={"action": note or "import"},
                    )
                )
        ComplaintEvent.objects.bulk_create(events, batch_size=2000)
        history = History(Complaint, by)
        for c in created:
            history.created(c.pk, c.reference or "", c.customer_id, note)
        history.flush()
    return [c.pk for c in created]
