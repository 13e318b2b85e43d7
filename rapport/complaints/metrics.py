"""The complaint figures, every one computed from the event rows (ComplaintEvent), so the
dashboard and each complaint's timeline never disagree.

Definitions (working time on the complaint's department clock; waiting for the customer —
from a "wait" step to the next "resume" — does not count):

- time to acknowledge: from receipt to the first "acknowledged" event;
- time to decide: from receipt to the validity decision ("accept" or "reject" step);
- time to resolve: from receipt to the first resolution: the remedy carried out ("carry_out"),
  or the complaint found not valid ("reject");
- on-time rate: of the resolved complaints, the share whose time to resolve is within the
  resolve target (RAPPORT_COMPLAINT_TARGETS["resolve"]);
- reopen rate: of the complaints resolved at least once, the share with a "reopen" step;
- first-contact resolution: of the resolved complaints, the share resolved in the first
  interaction: within the acknowledgement target (1 working hour by default) of receipt, never
  waiting for the customer and never reopened — not merely closed fast later on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from rapport.complaints import deadlines
from rapport.complaints.choices import Action, EventType
from rapport.complaints.models import Complaint, ComplaintEvent


@dataclass
class Figures:
    complaints: int
    resolved: int
    acknowledge_hours: float | None
    decide_hours: float | None
    resolve_hours: float | None
    on_time_rate: float | None
    reopen_rate: float | None
    first_contact_rate: float | None


def _hours(values: list[timedelta]) -> float | None:
    return round(median(v.total_seconds() for v in values) / 3600, 1) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def complaint_durations(complaint: Any, events: list[Any], clock: Any = None) -> dict[str, Any]:
    """One complaint's figures from its events (oldest first)."""
    clock = clock or deadlines.clock_for(complaint.department)
    start = complaint.received_at
    pauses: list[tuple[datetime, datetime | None]] = []
    out: dict[str, Any] = {"reopened": False, "waited": False}
    for e in events:
        if e.type == EventType.ACKNOWLEDGED and "acknowledge" not in out:
            out["acknowledge"] = clock.worked(start, e.time, pauses)
        if e.action == Action.WAIT:
            pauses.append((e.time, None))
            out["waited"] = True
        elif e.action == Action.RESUME and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], e.time)
        elif e.action in (Action.ACCEPT, Action.REJECT) and "decide" not in out:
            out["decide"] = clock.worked(start, e.time, pauses)
        if e.action in (Action.CARRY_OUT, Action.REJECT) and "resolve" not in out:
            out["resolve"] = clock.worked(start, e.time, pauses)
        if e.action == Action.REOPEN:
            out["reopened"] = True
    return out


def figures(complaints: Any) -> Figures:
    """The figures over a queryset of complaints (two queries)."""
    rows = list(complaints.select_related("department").order_by())
    by_complaint: dict[int, list[Any]] = defaultdict(list)
    ids = [c.pk for c in rows]
    for chunk in range(0, len(ids), 5000):
        for e in (
            ComplaintEvent.objects.filter(complaint_id__in=ids[chunk : chunk + 5000])
            .only("complaint_id", "time", "type", "action")
            .order_by("time", "pk")
        ):
            by_complaint[e.complaint_id].append(e)
    t = deadlines.targets()
    acks, decides, resolves = [], [], []
    on_time = reopened = first_contact = 0
    clocks: dict[int | None, Any] = {}
    for c in rows:
        if c.department_id not in clocks:
            clocks[c.department_id] = deadlines.clock_for(c.department)
        d = complaint_durations(c, by_complaint[c.pk], clocks[c.department_id])
        if "acknowledge" in d:
            acks.append(d["acknowledge"])
        if "decide" in d:
            decides.append(d["decide"])
        if "resolve" in d:
            resolves.append(d["resolve"])
            on_time += d["resolve"] <= t["resolve"]
            reopened += d["reopened"]
            first_contact += (
                d["resolve"] <= t["acknowledge"] and not d["waited"] and not d["reopened"]
            )
    return Figures(
        complaints=len(rows),
        resolved=len(resolves),
        acknowledge_hours=_hours(acks),
        decide_hours=_hours(decides),
        resolve_hours=_hours(resolves),
        on_time_rate=_rate(on_time, len(resolves)),
        reopen_rate=_rate(reopened, len(resolves)),
        first_contact_rate=_rate(first_contact, len(resolves)),
    )


def all_figures() -> Figures:
    return figures(Complaint.objects.all())
