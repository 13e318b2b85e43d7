"""Deadlines on the working-time clock, pauses while waiting for the customer, the escalation
(once per breach) and the figures computed from the event rows."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from rapport.complaints import deadlines, metrics
from rapport.complaints.escalation import escalate
from rapport.complaints.models import Complaint, ComplaintEvent, EscalatedBreach
from rapport.complaints.services import complaint_act

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_deadlines_count_working_hours_only(complaint_factory):
    # Friday 2026-03-06 17:00 in Shanghai: one working hour left that day, then the weekend.
    friday = datetime(2026, 3, 6, 17, 0, tzinfo=SH)
    c = complaint_factory(received_at=friday)
    assert c.decide_due == datetime(2026, 3, 9, 17, 0, tzinfo=SH)  # 1 h Fri + 7 h Mon
    clock = deadlines.clock_for(None)
    assert clock.worked(friday, c.resolve_due) == timedelta(hours=56)


def test_spring_festival_and_working_weekend(complaint_factory):
    # Spring Festival 2026: 16–23 February off; Saturdays 14 and 28 February are working days.
    before = datetime(2026, 2, 13, 17, 0, tzinfo=SH)  # Friday before the holiday
    c = complaint_factory(received_at=before)
    assert c.decide_due == datetime(2026, 2, 14, 17, 0, tzinfo=SH)  # 1 h Fri + 7 h Sat
    # Three working days (24 h) from the Saturday: the holiday week is skipped.
    clock = deadlines.clock_for(None)
    assert clock.deadline(before, timedelta(hours=24)) == datetime(2026, 2, 25, 17, 0, tzinfo=SH)
    saturday = datetime(2026, 2, 28, 9, 0, tzinfo=SH)
    assert clock.worked(saturday, saturday + timedelta(hours=3)) == timedelta(hours=3)


def test_waiting_for_the_customer_pauses_the_clock(complaint_factory, agent):
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=SH)
    c = complaint_factory(received_at=monday)
    due = c.decide_due
    complaint_act(by=agent, complaint_id=c.pk, action="wait", now=monday + timedelta(hours=2))
    # The customer answers two working days later (Wednesday 11:00).
    c = complaint_act(
        by=agent, complaint_id=c.pk, action="resume", now=datetime(2026, 3, 11, 11, 0, tzinfo=SH)
    )
    clock = deadlines.clock_for(None)
    assert clock.worked(due, c.decide_due) == timedelta(hours=16)


def test_overdue_escalated_once_per_breach(complaint_factory, agent, make_user, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    from rapport.staff.models import Department

    boss = make_user("manager", email="boss@example.com")
    Department.objects.filter(code="customer_service").update(manager=boss)
    old = datetime(2026, 1, 5, 9, 0, tzinfo=SH)
    c = complaint_factory(received_at=old)
    waiting = complaint_factory(received_at=old)
    complaint_act(by=agent, complaint_id=waiting.pk, action="wait")
    assert escalate() == 1
    assert escalate() == 0
    call_command("complaints", "escalate")
    events = ComplaintEvent.objects.filter(type="escalated")
    assert list(events.values_list("complaint_id", flat=True)) == [c.pk]
    # A new deadline (the decision was made; resolving is due) is a new breach.
    complaint_act(by=agent, complaint_id=c.pk, action="accept")
    assert escalate() == 1
    mark = EscalatedBreach.objects.get(complaint_id=c.pk)
    assert mark.due_at == Complaint.objects.get(pk=c.pk).due_at
    assert escalate() == 0


def test_a_sweep_in_batches_writes_one_event_per_breach_to_the_right_manager(
    complaint_factory, agent, make_user, settings, department, django_capture_on_commit_callbacks
):
    from django.core import mail

    from rapport.staff.models import Department

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    boss = make_user("manager", email="boss@example.com")
    Department.objects.filter(code="customer_service").update(manager=boss)
    old = datetime(2026, 1, 5, 9, 0, tzinfo=SH)
    unrouted = [complaint_factory(received_at=old + timedelta(minutes=i)) for i in range(3)]
    routed = complaint_factory(received_at=old)
    complaint_act(by=agent, complaint_id=routed.pk, action="accept")
    complaint_act(
        by=agent, complaint_id=routed.pk, action="assign", department_id=department.pk
    )  # a department without a manager
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate(batch=2) == 4  # batches of two ids: 2 + 2
    assert escalate(batch=2) == 0
    events = {e.complaint_id: e for e in ComplaintEvent.objects.filter(type="escalated")}
    assert sorted(events) == sorted([c.pk for c in unrouted] + [routed.pk])
    for c in unrouted:
        c.refresh_from_db()
        assert events[c.pk].parameters == {"to": boss.username, "due": c.due_at.isoformat()}
        assert events[c.pk].customer_id == c.customer_id
        assert events[c.pk].user_name and events[c.pk].user is None
        assert boss.username in events[c.pk].sentence()
    assert events[routed.pk].parameters["to"] == "the department"
    told = " ".join(m.body for m in mail.outbox if m.to == ["boss@example.com"])
    assert sorted(r for r in told.split() if r.startswith(unrouted[0].reference[:3])) == sorted(
        c.reference for c in unrouted
    )


def test_figures_come_from_the_event_rows(complaint_factory, agent, make_user, department):
    from rapport.complaints.models import Cause

    dept = make_user("department")
    department.members.add(dept)
    monday = datetime(2026, 3, 9, 9, 0, tzinfo=SH)
    c = complaint_factory(received_at=monday)
    step = monday
    for action, data in (
        ("accept", {}),
        ("assign", {"department_id": department.pk}),
        ("record_cause", {"cause_id": Cause.objects.first().pk}),
        ("propose_remedy", {"kind": "apology"}),
        ("approve", {}),
        ("carry_out", {}),
        ("close", {"summary": "ok"}),
        ("reopen", {}),
    ):
        step += timedelta(minutes=30)
        who = dept if action in ("record_cause", "propose_remedy", "carry_out") else agent
        if action == "approve":
            who = make_user("manager")
        complaint_act(by=who, complaint_id=c.pk, action=action, now=step, **data)
    rejected = complaint_factory(received_at=monday)
    complaint_act(
        by=agent,
        complaint_id=rejected.pk,
        action="reject",
        reason="no",
        now=monday + timedelta(hours=2),
    )
    f = metrics.figures(Complaint.objects.all())
    assert f.complaints == 2 and f.resolved == 2
    assert f.decide_hours == 1.2  # median of 0.5 h and 2 h, rounded
    assert f.on_time_rate == 100.0
    assert f.reopen_rate == 50.0
    assert f.first_contact_rate == 0.0  # one reopened, the other took 2 hours


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1)),
    hours=st.integers(min_value=1, max_value=200),
    pause_at=st.integers(min_value=0, max_value=100),
    pause_for=st.integers(min_value=1, max_value=300),
)
def test_a_pause_moves_the_deadline_by_exactly_the_working_time_left(
    start, hours, pause_at, pause_for
):
    clock = deadlines.clock_for_calendar_for_tests()
    start = start.replace(tzinfo=SH)
    due = clock.deadline(start, timedelta(hours=hours))
    assert clock.worked(start, due) == timedelta(hours=hours)
    paused = start + timedelta(hours=pause_at)
    resumed = paused + timedelta(hours=pause_for)
    moved = deadlines.moved_by_pause(due, paused, resumed, clock)
    if due <= paused:
        assert moved == due
    else:
        assert clock.worked(resumed, moved) == clock.worked(paused, due)


def test_figures_command_prints_the_definitions_results(complaint_factory):
    import io

    complaint_factory()
    out = io.StringIO()
    call_command("complaints", "figures", stdout=out)
    assert "complaints: 1" in out.getvalue()


def test_the_departments_own_clock_slovak_holiday_and_time_zone(complaint_factory, agent):
    from rapport.complaints.tests.conftest import ensure_builtins
    from rapport.staff.models import Department

    ensure_builtins()
    bratislava = ZoneInfo("Europe/Bratislava")
    Department.objects.filter(code="logistics").update(time_zone="Europe/Bratislava", country="SK")
    logistics = Department.objects.get(code="logistics")
    # Monday 5 January 2026, 17:00 in Bratislava; Tuesday 6 January is Epiphany (a holiday).
    c = complaint_factory(received_at=datetime(2026, 1, 5, 17, 0, tzinfo=bratislava))
    complaint_act(by=agent, complaint_id=c.pk, action="accept")
    c = complaint_act(by=agent, complaint_id=c.pk, action="assign", department_id=logistics.pk)
    # 56 working hours: 1 h on the 5th, none on the 6th, 24 h on the 7th–9th, 31 h after.
    assert c.resolve_due == datetime(2026, 1, 15, 17, 0, tzinfo=bratislava)


def test_figures_are_aggregated_in_the_database_and_match_the_timeline(
    complaint_factory, agent, client
):
    """The figures never fetch the event rows into Python (every query aggregates or reads the
    middle row for a median), and the step's working hours on the complaint's timeline are the
    ones the dashboard counts."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    monday = datetime(2026, 3, 9, 9, 0, tzinfo=SH)
    for minutes in (30, 90, 150):
        c = complaint_factory(received_at=monday)
        complaint_act(
            by=agent,
            complaint_id=c.pk,
            action="reject",
            reason="no",
            now=monday + timedelta(minutes=minutes),
        )
    with CaptureQueriesContext(connection) as queries:
        f = metrics.all_figures()
    assert f.resolved == 3 and f.decide_hours == f.resolve_hours == 1.5
    for q in queries.captured_queries:
        sql = q["sql"].upper()
        assert "COUNT(" in sql or "LIMIT" in sql, sql
    # A reject is both the decision and the resolution: one step, marked for both.
    step = ComplaintEvent.objects.get(complaint=c, action="reject")
    assert (step.milestone, step.resolves, step.worked) == ("decide", True, 150 * 60)
    client.force_login(agent)
    page = client.get(reverse("complaints:detail", args=[c.pk])).content.decode()
    assert "2.5 working hours after receipt" in page
