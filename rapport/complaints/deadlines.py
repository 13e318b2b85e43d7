"""Complaint deadlines on the working-time clock (rapport.core.worktime).

Targets are working time, set by RAPPORT_COMPLAINT_TARGETS (hours): acknowledge (default 1),
decide validity (8: one working day of the standard 8-hour calendar) and resolve (56: seven
working days). The clock is the complaint's department's (its working hours, time zone and
public holidays, China's working weekends included) or, before routing, customer service's.
Waiting for the customer pauses the clock: when the customer answers, every deadline moves on by
the working time that passed while waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from rapport.core.worktime import WorkCalendar, WorkClock

DEFAULT_TARGETS = {"acknowledge": 1.0, "decide": 8.0, "resolve": 56.0}


def targets() -> dict[str, timedelta]:
    configured = {**DEFAULT_TARGETS, **getattr(settings, "RAPPORT_COMPLAINT_TARGETS", {})}
    return {k: timedelta(hours=float(v)) for k, v in configured.items()}


_fallback: WorkClock | None = None


def clock_for(department: Any) -> WorkClock:
    """The department's clock; customer service's before routing (the standard week if even that
    department is gone)."""
    from rapport.staff.models import Department
    from rapport.staff.selectors import department_clock

    global _fallback
    if department is None:
        department = Department.objects.filter(code="customer_service", active=True).first()
    if department is not None:
        return department_clock(department)
    if _fallback is None:
        _fallback = WorkClock(WorkCalendar.standard())
    return _fallback


def initial(
    received_at: datetime, department: Any = None, clock: WorkClock | None = None
) -> dict[str, datetime]:
    clock = clock or clock_for(department)
    t = targets()
    decide = clock.deadline(received_at, t["decide"])
    resolve = clock.deadline(received_at, t["resolve"])
    return {"decide_due": decide, "resolve_due": resolve, "due_at": decide}


def moved_by_pause(
    due: datetime | None, paused_at: datetime, resumed_at: datetime, clock: WorkClock
) -> datetime | None:
    """A deadline after a pause: the working time that was left when the pause began, counted
    again from the moment the customer answered."""
    if due is None:
        return None
    if due <= paused_at:
        return due  # already overdue when the pause began: it stays overdue
    left = clock.worked(paused_at, due)
    return clock.deadline(resumed_at, left)


def clock_for_calendar_for_tests() -> WorkClock:
    """The standard Chinese calendar's clock, without the database (property tests)."""
    global _fallback
    if _fallback is None:
        _fallback = WorkClock(WorkCalendar.standard())
    return _fallback
