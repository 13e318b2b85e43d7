"""Who may take which step on which complaint: the transition table plus the row rules (department
staff only on their own department's complaints, nobody approves their own proposal)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from rapport.complaints import transitions
from rapport.complaints.choices import Action, State

STAFF_ROLES = ("administrator", "manager", "agent", "department", "marketing", "analyst")


def user_roles(user: Any) -> frozenset[str]:
    """The roles of a staff user (their groups); a superuser is an administrator."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return frozenset({"administrator"})
    cached = getattr(user, "_complaint_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._complaint_roles = cached
    return cached


def user_department_ids(user: Any) -> frozenset[int]:
    cached = getattr(user, "_complaint_departments", None)
    if cached is None:
        cached = frozenset(
            user.departments.filter(active=True).values_list("pk", flat=True)
            if getattr(user, "is_authenticated", False)
            else ()
        )
        user._complaint_departments = cached
    return cached


def department_scoped(user: Any) -> bool:
    """Staff without "view all complaints" (department staff) see only their departments'."""
    return not user.has_perm("complaints.view_all_complaints")


def second_approval_above() -> float:
    return float(getattr(settings, "RAPPORT_COMPLAINT_SECOND_APPROVAL_ABOVE", 5000))


def refusal(
    complaint: Any, action: str, roles: frozenset[str], user: Any = None, *, remedy: Any = None
) -> str | None:
    """Why `roles` (and `user`) may not take `action` on the complaint now, or None if they may."""
    from django.utils.translation import gettext as _

    if action not in Action.values:
        return _("There is no such step.")
    target = transitions.next_state(complaint.state, action)
    if target is None:
        return _("The step “%(action)s” cannot follow the state “%(state)s”.") % {
            "action": Action(action).label,
            "state": State(complaint.state).label,
        }
    if not transitions.allowed_roles(complaint.state, action) & roles:
        return _("Your role may not take the step “%(action)s” in the state “%(state)s”.") % {
            "action": Action(action).label,
            "state": State(complaint.state).label,
        }
    if (
        user is not None
        and "department" in roles
        and not roles & {"administrator", "manager", "agent"}
        and complaint.department_id not in user_department_ids(user)
    ):
        return _("This complaint belongs to another department.")
    if action == Action.WAIT and complaint.waiting_since is not None:
        return _("The complaint is already waiting for the customer.")
    if action == Action.RESUME and complaint.waiting_since is None:
        return _("The complaint is not waiting for the customer.")
    if action == Action.APPROVE and user is not None and remedy is not None:
        if remedy.proposed_by_id == user.pk:
            return _("Nobody approves their own proposal.")
        if complaint.state == State.SECOND_APPROVAL and any(
            a.approved_by_id == user.pk for a in remedy.approvals.all()
        ):
            return _("The higher approval must come from someone else.")
    return None


def allowed_actions(complaint: Any, user: Any, *, remedy: Any = None) -> list[Action]:
    """The steps this user may take now: the only buttons the page shows."""
    roles = user_roles(user)
    return [
        action
        for action in transitions.actions_from(complaint.state, roles)
        if refusal(complaint, action, roles, user, remedy=remedy) is None
    ]
