"""Flagging overdue complaints and escalating them to a manager — once per breach.

A complaint is overdue when it is open, not waiting for the customer, and its next deadline
(`due_at`) has passed. Escalating writes an "escalated" event and tells the department's manager
(or, before routing, the managers of customer service) by mail after the commit; an
`EscalatedBreach` row remembers the deadline that was escalated, so the same breach is never
escalated twice, and a new deadline (after a reopening, say) can be escalated again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.complaints.choices import EventType
from rapport.complaints.models import Complaint, ComplaintEvent, EscalatedBreach
from rapport.core.actors import SCHEDULER, Actor, actor_name, actor_user
from rapport.core.events import has_subscribers, notify_on_commit, on_commit


def overdue(now=None):  # noqa: ANN001, ANN201
    now = now or timezone.now()
    return Complaint.objects.filter(
        active=True,  # not closed: the range (active, due_at, id) up to now
        waiting_since__isnull=True,
        due_at__lt=now,
    ).exclude(
        Exists(
            EscalatedBreach.objects.filter(complaint_id=OuterRef("pk"), due_at=OuterRef("due_at"))
        )
    )


def escalate(*, by: Actor = SCHEDULER, now=None, batch: int = 20_000) -> int:  # noqa: ANN001
    """Escalate every breach not yet escalated; returns how many. The breaches are found in one
    read, then escalated in batches of consecutive ids, three statements each: the breaches are
    claimed by writing their marks (`EscalatedBreach`; a breach another sweep claimed first is
    left to it), the claimed ones get their event rows by one INSERT … SELECT, and the managers
    with an email address one mail per batch."""
    from django.db import connection

    from rapport.staff.models import Department

    now = now or timezone.now()
    managers = {
        d.pk: d.manager for d in Department.objects.select_related("manager") if d.manager_id
    }
    fallback_id = (
        Department.objects.filter(code="customer_service").values_list("pk", flat=True).first()
    )
    mailed = [pk for pk, manager in managers.items() if manager.email]
    user, name = actor_user(by), actor_name(by)[:150]
    candidates = list(overdue(now).order_by("pk").values_list("pk", flat=True))
    done = 0
    for lo in range(0, len(candidates), batch):
        ids = candidates[lo : lo + batch]
        breaches = overdue(now).filter(pk__gte=ids[0], pk__lte=ids[-1])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(*_claim(connection, breaches))
            claimed = [row[0] for row in cursor.fetchall()]
            if not claimed:
                continue
            cursor.execute(
                *_insert_events(
                    connection, claimed, time=timezone.now(), user=user, name=name,
                    fallback_id=fallback_id,
                )
            )  # fmt: skip
            done += cursor.rowcount
            if has_subscribers(ComplaintEvent, EventType.ESCALATED):
                for event in _latest_escalations(claimed):
                    notify_on_commit(event)
            mails: dict[str, list[str]] = {}
            if mailed:
                in_claimed, param = _id_set(connection, claimed)
                cursor.execute(
                    "SELECT COALESCE(department_id, %s), reference FROM "  # noqa: S608 (quoted name)
                    f"{connection.ops.quote_name(Complaint._meta.db_table)} c WHERE {in_claimed} "
                    f"AND COALESCE(department_id, %s) IN ({', '.join(['%s'] * len(mailed))})",
                    [fallback_id, param, fallback_id, *mailed],
                )
                for department_id, reference in cursor.fetchall():
                    mails.setdefault(managers[department_id].email, []).append(reference)
            for address, references in mails.items():
                on_commit(lambda a=address, r=references: _mail_manager(a, sorted(r)))
    return done


def _claim(connection, breaches):  # noqa: ANN001, ANN202
    """Mark each breach with the deadline escalated (a new row, or the complaint's earlier mark
    moved on to its new deadline) and return the complaints marked. Two sweeps at once: the
    second waits on the first's marks and, finding the same deadline there, claims nothing."""
    sub, params = breaches.order_by().values("id", "due_at").query.sql_with_params()
    table = connection.ops.quote_name(EscalatedBreach._meta.db_table)
    return (
        f"INSERT INTO {table} (complaint_id, due_at) SELECT c.id, c.due_at FROM ({sub}) c "  # noqa: S608 (the ORM's SQL, a quoted name)
        "WHERE true ON CONFLICT (complaint_id) DO UPDATE SET due_at = excluded.due_at "
        f"WHERE {table}.due_at <> excluded.due_at RETURNING complaint_id",
        params,
    )


def _id_set(connection, ids: list[int]) -> tuple[str, Any]:  # noqa: ANN001
    """`c.id` in `ids`, as one parameter (an array; a JSON list on SQLite)."""
    if connection.vendor == "postgresql":
        return "c.id = ANY(%s)", ids
    return "c.id IN (SELECT value FROM json_each(%s))", json.dumps(ids)


def _insert_events(connection, claimed, *, time, user, name, fallback_id):  # noqa: ANN001, ANN202
    """INSERT … SELECT of one "escalated" event per claimed complaint: to the manager of the
    complaint's department (customer service's before routing), with the deadline breached."""
    from django.contrib.auth import get_user_model

    from rapport.staff.models import Department

    users = get_user_model()
    q = connection.ops.quote_name
    username = q(users._meta.get_field(users.USERNAME_FIELD).column)
    in_claimed, param = _id_set(connection, claimed)
    if connection.vendor == "postgresql":
        params_sql = "jsonb_build_object('to', COALESCE(u.{u}, %s), 'due', c.due_at)"
    else:  # the ISO form Python writes: 2026-01-05T01:00:00+00:00
        params_sql = (
            "json_object('to', COALESCE(u.{u}, %s), 'due', replace(c.due_at, ' ', 'T') || '+00:00')"
        )
    sql = (
        f"INSERT INTO {q(ComplaintEvent._meta.db_table)} (complaint_id, customer_id, time, "  # noqa: S608 (quoted names)
        "user_id, user_name, type, parameters, action, from_state, to_state, worked, milestone, "
        f"resolves) SELECT c.id, c.customer_id, %s, %s, %s, %s, {params_sql.format(u=username)}, "
        f"'', '', '', NULL, '', %s FROM {q(Complaint._meta.db_table)} c "
        f"LEFT JOIN {q(Department._meta.db_table)} d ON d.id = COALESCE(c.department_id, %s) "
        f"LEFT JOIN {q(users._meta.db_table)} u ON u.id = d.manager_id "
        f"WHERE {in_claimed} ORDER BY c.due_at, c.id"
    )
    params = [
        connection.ops.adapt_datetimefield_value(time),
        getattr(user, "pk", None),
        name,
        EventType.ESCALATED,
        _("the department"),
        False,
        fallback_id,
        param,
    ]
    return sql, params


def _latest_escalations(complaint_ids: list[int]) -> list[ComplaintEvent]:
    latest: dict[int, ComplaintEvent] = {}
    for event in ComplaintEvent.objects.filter(
        complaint_id__in=complaint_ids, type=EventType.ESCALATED
    ).order_by("pk"):
        latest[event.complaint_id] = event
    return list(latest.values())


def _mail_manager(address: str, references: list[str]) -> None:
    if len(references) == 1:
        subject = _("Overdue complaint %(reference)s") % {"reference": references[0]}
    else:
        subject = ngettext(
            "%(count)s overdue complaint", "%(count)s overdue complaints", len(references)
        ) % {"count": len(references)}
    body = "\n".join(
        _("Complaint %(reference)s is overdue.") % {"reference": r} for r in references
    )
    send_mail(subject, body, None, [address])
