"""The complaint figures, every one an SQL aggregation over the event rows (ComplaintEvent), so
the dashboard and each complaint's timeline never disagree and the figures scale to millions of
complaints.

Each step is stamped when it is written (`stamp`): `worked` is the working time from receipt to the
step, in seconds, on the clock of the complaint's department at that moment (working hours, time
zone, public holidays), with the time spent waiting for the customer — from a "wait" step to the
next "resume" — not counted. The first step of each kind is marked (`milestone`: acknowledge,
decide, wait, reopen; `resolves` for the first resolution), so each figure below reads a narrow,
indexed slice of the event table, never every step of every complaint.

Definitions:

- time to acknowledge: from receipt to the first "acknowledged" event;
- time to decide: from receipt to the validity decision (the first "accept" or "reject" step);
- time to resolve: from receipt to the first resolution: the remedy carried out ("carry_out"),
  or the complaint found not valid ("reject");
- the times are medians (of two middle values, their mean), in working hours;
- on-time rate: of the resolved complaints, the share whose time to resolve is within the
  resolve target (RAPPORT_COMPLAINT_TARGETS["resolve"]);
- reopen rate: of the complaints resolved at least once, the share with a "reopen" step;
- first-contact resolution: of the resolved complaints, the share resolved in the first
  interaction: within the acknowledgement target (1 working hour by default) of receipt, never
  waiting for the customer and never reopened — not merely closed fast later on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from rapport.complaints import deadlines
from rapport.complaints.choices import Action, EventType
from rapport.complaints.models import Complaint, ComplaintEvent

ACKNOWLEDGE, DECIDE, WAIT, REOPEN = "acknowledge", "decide", "wait", "reopen"


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


# Stamping each step as it is written -----------------------------------------------------------


def stamp(
    complaint: Any, *, type: str, action: str = "", time: datetime | None = None
) -> dict[str, Any]:
    """The figure columns of a step about to be written: `worked` (working seconds since receipt,
    waiting not counted), `milestone` and `resolves` (the first of its kind). One small query
    over the complaint's own earlier steps."""
    time = time or timezone.now()
    earlier = list(
        ComplaintEvent.objects.filter(complaint_id=complaint.pk)
        .filter(Q(action__in=(Action.WAIT, Action.RESUME)) | ~Q(milestone="") | Q(resolves=True))
        .order_by("time", "pk")
        .values_list("time", "action", "milestone", "resolves")
    )
    return stamp_from(complaint, earlier, type=type, action=action, time=time)


def stamp_from(
    complaint: Any,
    earlier: list[tuple[datetime, str, str, bool]],
    *,
    type: str,
    action: str = "",
    time: datetime,
    clock: Any = None,
) -> dict[str, Any]:
    """`stamp` from the complaint's earlier (time, action, milestone, resolves) rows."""
    pauses: list[tuple[datetime, datetime | None]] = []
    seen: set[str] = set()
    resolved = False
    for t, a, m, r in earlier:
        if a == Action.WAIT:
            pauses.append((t, None))
        elif a == Action.RESUME and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], t)
        if m:
            seen.add(m)
        resolved = resolved or r
    if pauses and pauses[-1][1] is None:
        pauses[-1] = (pauses[-1][0], time)
    clock = clock or deadlines.clock_for(complaint.department)
    worked = clock.worked(complaint.received_at, time, pauses)
    milestone = ""
    if type == EventType.ACKNOWLEDGED:
        milestone = ACKNOWLEDGE
    elif action in (Action.ACCEPT, Action.REJECT):
        milestone = DECIDE
    elif action == Action.WAIT:
        milestone = WAIT
    elif action == Action.REOPEN:
        milestone = REOPEN
    return {
        "worked": int(worked.total_seconds()),
        "milestone": "" if milestone in seen else milestone,
        "resolves": not resolved and action in (Action.CARRY_OUT, Action.REJECT),
    }


# The figures -----------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _median_hours(rows: QuerySet, n: int) -> float | None:
    """The median of `worked` over n rows, in hours: the middle row(s) found by the database
    (ORDER BY worked with OFFSET, along the (milestone, worked) index)."""
    if not n:
        return None
    middle = list(
        rows.order_by("worked").values_list("worked", flat=True)[(n - 1) // 2 : n // 2 + 1]
    )
    return round(sum(middle) / len(middle) / 3600, 1)


def figures(complaints: QuerySet | None = None) -> Figures:
    """The figures over a queryset of complaints (all of them when None), in a handful of
    aggregate queries whatever the number of complaints."""
    events = ComplaintEvent.objects.all()
    if complaints is None:
        total = Complaint.objects.count()
    else:
        total = complaints.count()
        events = events.filter(complaint_id__in=complaints.order_by().values("pk"))
    t = deadlines.targets()
    counts = dict(
        events.exclude(milestone="")
        .values_list("milestone")
        .annotate(n=Count("*"))  # not the id: the (milestone, worked) index alone answers
        .values_list("milestone", "n")
        .order_by()
    )
    # Each count is a range over one partial index (the marked rows only).
    marked = events.exclude(milestone="")
    resolutions = events.filter(resolves=True)
    fast = resolutions.filter(worked__lte=t["acknowledge"].total_seconds())
    waited_or_reopened = marked.filter(milestone__in=(WAIT, REOPEN)).values("complaint_id")
    agg = {
        "resolved": resolutions.count(),
        "on_time": resolutions.filter(worked__lte=t["resolve"].total_seconds()).count(),
        "first_contact": fast.count()
        - (
            fast.filter(complaint_id__in=waited_or_reopened).count()
            if counts.get(WAIT) or counts.get(REOPEN)
            else 0
        ),
    }
    reopened = (
        marked.filter(milestone=REOPEN)
        .filter(
            complaint_id__in=ComplaintEvent.objects.filter(resolves=True).values("complaint_id")
        )
        .count()
        if counts.get(REOPEN)
        else 0
    )
    resolved = agg["resolved"]
    return Figures(
        complaints=total,
        resolved=resolved,
        acknowledge_hours=_median_hours(
            marked.filter(milestone=ACKNOWLEDGE), counts.get(ACKNOWLEDGE, 0)
        ),
        decide_hours=_median_hours(marked.filter(milestone=DECIDE), counts.get(DECIDE, 0)),
        resolve_hours=_median_hours(resolutions, resolved),
        on_time_rate=_rate(agg["on_time"], resolved),
        reopen_rate=_rate(reopened, resolved),
        first_contact_rate=_rate(agg["first_contact"], resolved),
    )


def all_figures() -> Figures:
    return figures(None)
