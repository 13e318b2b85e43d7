"""The complaint process as one table: (state, action) → next state, and the roles that may take it.

This file is the whole process (DOMAIN §6, the eight steps of text 004, ISO 10002): the pages show
only the actions this table allows the user, the services and the API refuse the others (409 with
the reason). Read it as the process map:

    1 record ─→ new ──accept──→ accepted ──assign──→ assigned ──record_cause──→ cause_found
                 └─reject──→ not_upheld (closed; the explanation kept, a tactful reply sent)
    cause_found ──propose_remedy──→ remedy_proposed ──approve──→ approved
                                       │   (above the second-approval amount: → second_approval
                                       │    ──approve (a higher role)──→ approved)
                                       └─send_back──→ cause_found
    approved ──carry_out──→ carried_out ──close──→ closed ──reopen──→ assigned
    carried_out / approved ──customer_rejects──→ disputed ──propose_remedy / close──
    wait / resume (waiting for the customer pauses the clock) in every open state.

Roles are the staff roles (rapport/staff/roles.py) plus "customer" (the portal's satisfaction
check and rejection). Department staff act only on their own department's complaints (checked in
the service, beside this table).
"""

from __future__ import annotations

from rapport.complaints.choices import OPEN_STATES, Action, State

AGENT, DEPARTMENT, MANAGER, ADMIN, CUSTOMER = (
    "agent",
    "department",
    "manager",
    "administrator",
    "customer",
)
ROLES = (AGENT, DEPARTMENT, MANAGER, ADMIN, CUSTOMER, "marketing", "analyst")

FRONT = frozenset({AGENT, MANAGER, ADMIN})
WORKERS = frozenset({DEPARTMENT, MANAGER, ADMIN})
APPROVERS = frozenset({MANAGER, ADMIN})
HIGHER = frozenset({ADMIN})
STAFF = frozenset({AGENT, DEPARTMENT, MANAGER, ADMIN})

# (state, action) -> (next state, roles allowed)
TABLE: dict[tuple[State, Action], tuple[State, frozenset[str]]] = {
    # 2 validity
    (State.NEW, Action.ACCEPT): (State.ACCEPTED, FRONT),
    (State.NEW, Action.REJECT): (State.NOT_UPHELD, FRONT),
    # 3 routing (and re-routing while the department works on it)
    (State.ACCEPTED, Action.ASSIGN): (State.ASSIGNED, FRONT),
    (State.ASSIGNED, Action.ASSIGN): (State.ASSIGNED, FRONT),
    # 4 cause
    (State.ASSIGNED, Action.RECORD_CAUSE): (State.CAUSE_FOUND, WORKERS),
    (State.CAUSE_FOUND, Action.RECORD_CAUSE): (State.CAUSE_FOUND, WORKERS),
    # 5 remedy
    (State.CAUSE_FOUND, Action.PROPOSE_REMEDY): (State.REMEDY_PROPOSED, WORKERS),
    (State.DISPUTED, Action.PROPOSE_REMEDY): (State.REMEDY_PROPOSED, WORKERS),
    # 6 approval (the service sends an amount above the limit on to second_approval)
    (State.REMEDY_PROPOSED, Action.APPROVE): (State.APPROVED, APPROVERS),
    (State.REMEDY_PROPOSED, Action.SEND_BACK): (State.CAUSE_FOUND, APPROVERS),
    (State.SECOND_APPROVAL, Action.APPROVE): (State.APPROVED, HIGHER),
    (State.SECOND_APPROVAL, Action.SEND_BACK): (State.CAUSE_FOUND, HIGHER),
    # 7 carry out, notify, ask
    (State.APPROVED, Action.CARRY_OUT): (State.CARRIED_OUT, WORKERS),
    (State.APPROVED, Action.CUSTOMER_REJECTS): (State.DISPUTED, FRONT | {CUSTOMER}),
    (State.CARRIED_OUT, Action.CUSTOMER_REJECTS): (State.DISPUTED, FRONT | {CUSTOMER}),
    # 8 evaluate
    (State.CARRIED_OUT, Action.CLOSE): (State.CLOSED, FRONT),
    (State.DISPUTED, Action.CLOSE): (State.CLOSED, APPROVERS),
    (State.CARRIED_OUT, Action.REOPEN): (State.ASSIGNED, FRONT | {CUSTOMER}),
    (State.CLOSED, Action.REOPEN): (State.ASSIGNED, FRONT | {CUSTOMER}),
}

# Waiting for the customer pauses the deadline clock; it does not change the state.
for _state in OPEN_STATES:
    TABLE[(State(_state), Action.WAIT)] = (State(_state), STAFF)
    TABLE[(State(_state), Action.RESUME)] = (State(_state), STAFF | {CUSTOMER})


def next_state(state: str, action: str) -> State | None:
    """The state `action` leads to from `state`, or None when the table has no such step."""
    found = TABLE.get((State(state), Action(action)))
    return found[0] if found else None


def allowed_roles(state: str, action: str) -> frozenset[str]:
    found = TABLE.get((State(state), Action(action)))
    return found[1] if found else frozenset()


def actions_from(state: str, roles: set[str] | frozenset[str]) -> list[Action]:
    """The actions `roles` may take in `state`, in the table's order."""
    return [
        action
        for (s, action), (_next, allowed) in TABLE.items()
        if s == state and allowed & set(roles)
    ]
