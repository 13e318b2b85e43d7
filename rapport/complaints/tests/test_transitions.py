"""The transition table, tested exhaustively: every (state, action, role) either works and lands
in the table's next state, or is refused (409) — and the rules beside the table."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from rapport.complaints import transitions
from rapport.complaints.choices import Action, State
from rapport.complaints.models import Approval, Cause, Complaint, ComplaintEvent, Remedy
from rapport.complaints.services import (
    CustomerActor,
    TransitionRefused,
    complaint_act,
    complaint_update,
)
from rapport.core.exceptions import ConflictError


class Rollback(Exception):
    pass


def _prepare(complaint, state, proposer, first_approver=None):
    """Put the complaint in `state` with what that state implies (a remedy, an approval)."""
    complaint.state = state
    complaint.cause = Cause.objects.first()
    complaint.waiting_since = None
    complaint.save()
    if state in (State.REMEDY_PROPOSED, State.SECOND_APPROVAL, State.APPROVED, State.CARRIED_OUT):
        remedy = Remedy.objects.create(
            complaint=complaint,
            kind="discount",
            amount=Decimal("100"),
            proposed_by=proposer,
            state={
                State.REMEDY_PROPOSED: Remedy.PROPOSED,
                State.SECOND_APPROVAL: Remedy.PROPOSED,
                State.APPROVED: Remedy.APPROVED,
                State.CARRIED_OUT: Remedy.CARRIED_OUT,
            }[state],
        )
        if state == State.SECOND_APPROVAL:
            Approval.objects.create(
                remedy=remedy,
                level=1,
                approved_by=first_approver,
                approved_at=complaint.received_at,
            )


DATA = {
    Action.REJECT: {"reason": "No fault found."},
    Action.ASSIGN: {},
    Action.RECORD_CAUSE: {},
    Action.PROPOSE_REMEDY: {"kind": "repair", "amount": "50"},
    Action.CLOSE: {"summary": "Repaired, customer happy."},
}


@pytest.mark.parametrize("state", list(State))
def test_every_state_action_role(
    state, complaint_factory, make_user, department, dept_user, admin_user
):
    users = {
        "agent": make_user("agent"),
        "department": dept_user,
        "manager": make_user("manager"),
        "administrator": admin_user,
        "marketing": make_user("marketing"),
        "analyst": make_user("analyst"),
    }
    proposer = make_user("department")
    first_approver = make_user("manager")
    complaint = complaint_factory()
    complaint.department = department
    complaint.save()
    _prepare(complaint, state, proposer, first_approver)
    cause = Cause.objects.first()
    checked = 0
    for action in Action:
        for role in transitions.ROLES:
            by = CustomerActor(complaint.customer_id) if role == "customer" else users[role]
            expected = transitions.TABLE.get((state, action))
            allowed = expected is not None and role in expected[1]
            if action == Action.RESUME:
                allowed = False  # not waiting: nothing to resume
            data = dict(DATA.get(action, {}))
            if action == Action.RECORD_CAUSE:
                data["cause_id"] = cause.pk
            try:
                with transaction.atomic():
                    result = complaint_act(by=by, complaint_id=complaint.pk, action=action, **data)
                    outcome = result.state
                    raise Rollback
            except Rollback:
                assert allowed, (state, action, role, "should be refused")
                assert outcome == expected[0] or (
                    action == Action.APPROVE and outcome == State.SECOND_APPROVAL
                )
            except TransitionRefused as refused:
                assert not allowed, (state, action, role, refused.reason)
                assert refused.reason
            checked += 1
    assert checked == len(Action) * len(transitions.ROLES)


def test_table_states_are_reachable_and_closed_states_only_reopen():
    targets = {nxt for nxt, _roles in transitions.TABLE.values()}
    assert set(State) - {State.NEW} <= targets
    for (state, action), _value in transitions.TABLE.items():
        if state in (State.CLOSED, State.NOT_UPHELD):
            assert action == Action.REOPEN


def test_nobody_approves_their_own_proposal(complaint_factory, make_user, department):
    manager = make_user("manager")
    complaint = complaint_factory()
    complaint.department = department
    complaint.save()
    _prepare(complaint, State.REMEDY_PROPOSED, proposer=manager)
    with pytest.raises(TransitionRefused, match="own proposal"):
        complaint_act(by=manager, complaint_id=complaint.pk, action=Action.APPROVE)
    other = make_user("manager")
    assert complaint_act(by=other, complaint_id=complaint.pk, action=Action.APPROVE).state == (
        State.APPROVED
    )


def test_above_the_limit_a_second_higher_approval(
    settings, complaint_factory, make_user, department, dept_user, admin_user
):
    settings.RAPPORT_COMPLAINT_SECOND_APPROVAL_ABOVE = 1000
    complaint = complaint_factory()
    complaint.department = department
    complaint.save()
    _prepare(complaint, State.CAUSE_FOUND, proposer=None)
    complaint_act(
        by=dept_user,
        complaint_id=complaint.pk,
        action=Action.PROPOSE_REMEDY,
        kind="compensation",
        amount="2500",
    )
    manager = make_user("manager")
    c = complaint_act(by=manager, complaint_id=complaint.pk, action=Action.APPROVE)
    assert c.state == State.SECOND_APPROVAL
    with pytest.raises(TransitionRefused):
        complaint_act(by=make_user("manager"), complaint_id=complaint.pk, action=Action.APPROVE)
    c = complaint_act(by=admin_user, complaint_id=complaint.pk, action=Action.APPROVE)
    assert c.state == State.APPROVED
    assert sorted(Approval.objects.values_list("level", flat=True)) == [1, 2]


def test_department_staff_act_only_on_their_department(complaint_factory, make_user, department):
    from rapport.staff.models import Department

    stranger = make_user("department")
    Department.objects.get(code="logistics").members.add(stranger)
    complaint = complaint_factory()
    complaint.department = department
    complaint.save()
    _prepare(complaint, State.ASSIGNED, proposer=None)
    with pytest.raises(TransitionRefused, match="another department"):
        complaint_act(
            by=stranger,
            complaint_id=complaint.pk,
            action=Action.RECORD_CAUSE,
            cause_id=Cause.objects.first().pk,
        )


def test_every_step_is_an_event_row(complaint_factory, agent, dept_user, make_user, department):
    complaint = complaint_factory()
    pk = complaint.pk
    complaint_act(by=agent, complaint_id=pk, action=Action.ACCEPT)
    complaint_act(by=agent, complaint_id=pk, action=Action.ASSIGN, department_id=department.pk)
    complaint_act(
        by=dept_user, complaint_id=pk, action=Action.RECORD_CAUSE, cause_id=Cause.objects.first().pk
    )
    complaint_act(by=dept_user, complaint_id=pk, action=Action.PROPOSE_REMEDY, kind="repair")
    complaint_act(by=make_user("manager"), complaint_id=pk, action=Action.APPROVE)
    complaint_act(by=dept_user, complaint_id=pk, action=Action.CARRY_OUT)
    complaint_act(by=agent, complaint_id=pk, action=Action.CLOSE, summary="Fixed.")
    steps = list(
        ComplaintEvent.objects.filter(complaint_id=pk, type="transition")
        .order_by("time", "pk")
        .values_list("from_state", "to_state", "user_name")
    )
    assert [s[1] for s in steps] == [
        "accepted",
        "assigned",
        "cause_found",
        "remedy_proposed",
        "approved",
        "carried_out",
        "closed",
    ]
    assert steps[0] == ("new", "accepted", agent.username)


def test_stale_edit_gets_a_conflict(complaint_factory, agent):
    complaint = complaint_factory()
    complaint_update(by=agent, complaint_id=complaint.pk, expected_version=1, severity="high")
    with pytest.raises(ConflictError):
        complaint_update(
            by=agent, complaint_id=complaint.pk, expected_version=1, description="Other words."
        )
    with pytest.raises(ConflictError):
        complaint_act(by=agent, complaint_id=complaint.pk, action="accept", expected_version=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_approvals_give_one(complaint_factory, make_user, department):
    complaint = complaint_factory()
    complaint.department = department
    complaint.save()
    _prepare(complaint, State.REMEDY_PROPOSED, proposer=make_user("department"))
    managers = [make_user("manager"), make_user("manager")]
    results: list[str] = []
    barrier = threading.Barrier(2)

    def approve(user):
        try:
            barrier.wait()
            complaint_act(by=user, complaint_id=complaint.pk, action=Action.APPROVE)
            results.append("ok")
        except TransitionRefused:
            results.append("refused")
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        threads = [threading.Thread(target=approve, args=(m,)) for m in managers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite serialises writers: the second approval comes after the first
        barrier = threading.Barrier(1)
        for m in managers:
            approve(m)
    assert sorted(results) == ["ok", "refused"]
    assert Approval.objects.filter(remedy__complaint=complaint).count() == 1
    assert Complaint.objects.get(pk=complaint.pk).state == State.APPROVED
