"""Flagging overdue complaints and escalating them to a manager — once per breach.

A complaint is overdue when it is open, not waiting for the customer, and its next deadline
(`due_at`) has passed. Escalating writes an "escalated" event and tells the department's manager
(or, before routing, the managers of customer service) by mail after the commit; `escalated_due`
remembers the deadline that was escalated, so the same breach is never escalated twice, and a new
deadline (after a reopening, say) can be escalated again.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.complaints.choices import EventType
from rapport.complaints.models import Complaint, ComplaintEvent
from rapport.core.actors import SCHEDULER, Actor, actor_name, actor_user
from rapport.core.events import has_subscribers, notify_on_commit, on_commit


def overdue(now=None):  # noqa: ANN001, ANN201
    now = now or timezone.now()
    return Complaint.objects.filter(
        active=True,  # not closed: the range (active, due_at, id) up to now
        waiting_since__isnull=True,
        due_at__lt=now,
    ).filter(Q(escalated_due__isnull=True) | ~Q(escalated_due=F("due_at")))


def escalate(*, by: Actor = SCHEDULER, now=None, batch: int = 20_000) -> int:  # noqa: ANN001
    """Escalate every breach not yet escalated; returns how many. The breaches are found in one
    read, then escalated in batches of consecutive ids: each batch locks its rows (in id order),
    writes their event rows with one INSERT … SELECT and marks them with one UPDATE, both over
    the rows still overdue, so a breach is escalated once even when two sweeps overlap; each
    manager gets one mail per batch."""
    from django.db import connection

    from rapport.staff.models import Department

    now = now or timezone.now()
    managers = {
        d.pk: d.manager for d in Department.objects.select_related("manager") if d.manager_id
    }
    fallback = Department.objects.filter(code="customer_service").values_list("pk", flat=True)
    fallback_id = fallback.first()
    user, name = actor_user(by), actor_name(by)[:150]
    candidates = list(overdue(now).order_by("pk").values_list("pk", flat=True))
    done = 0
    for lo in range(0, len(candidates), batch):
        ids = candidates[lo : lo + batch]
        breaches = overdue(now).filter(pk__gte=ids[0], pk__lte=ids[-1])
        with transaction.atomic():
            rows = list(
                breaches.select_for_update()
                .order_by("pk")
                .values_list("pk", "department_id", "reference")
            )
            if not rows:
                continue
            with connection.cursor() as cursor:
                sql, params = _insert_events(
                    connection, breaches, time=timezone.now(), user=user, name=name,
                    fallback_id=fallback_id,
                )  # fmt: skip
                cursor.execute(sql, params)
                written = cursor.rowcount
            # Each row remembers the breach it escalated.
            breaches.update(escalated_due=F("due_at"))
            if has_subscribers(ComplaintEvent, EventType.ESCALATED):
                for event in _latest_escalations([r[0] for r in rows]):
                    notify_on_commit(event)
            mails: dict[str, list[str]] = {}
            for _pk, department_id, reference in rows:
                manager = managers.get(department_id or fallback_id)
                if manager is not None and manager.email:
                    mails.setdefault(manager.email, []).append(reference)
            for address, references in mails.items():
                on_commit(lambda a=address, r=references: _mail_manager(a, r))
            done += written
    return done


def _insert_events(connection, breaches, *, time, user, name, fallback_id):  # noqa: ANN001, ANN202
    """INSERT … SELECT of one "escalated" event per breach in `breaches`: to the manager of the
    complaint's department (customer service's before routing), with the deadline breached."""
    from django.contrib.auth import get_user_model

    from rapport.staff.models import Department

    users = get_user_model()
    q = connection.ops.quote_name
    username = q(users._meta.get_field(users.USERNAME_FIELD).column)
    sub, sub_params = breaches.order_by().values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        params_sql = "jsonb_build_object('to', COALESCE(u.{u}, %s), 'due', c.due_at)"
    else:  # the ISO form Python writes: 2026-01-05T01:00:00+00:00
        params_sql = (
            "json_object('to', COALESCE(u.{u}, %s), 'due', replace(c.due_at, ' ', 'T') || '+00:00')"
        )
    sql = (
        f"INSERT INTO {q(ComplaintEvent._meta.db_table)} (complaint_id, customer_id, time, "  # noqa: S608 (quoted names, the ORM's SQL)
        "user_id, user_name, type, parameters, action, from_state, to_state, worked, milestone, "
        f"resolves) SELECT c.id, c.customer_id, %s, %s, %s, %s, {params_sql.format(u=username)}, "
        f"'', '', '', NULL, '', %s FROM {q(Complaint._meta.db_table)} c "
        f"LEFT JOIN {q(Department._meta.db_table)} d ON d.id = COALESCE(c.department_id, %s) "
        f"LEFT JOIN {q(users._meta.db_table)} u ON u.id = d.manager_id "
        f"WHERE c.id IN ({sub}) ORDER BY c.due_at, c.id"
    )
    params = [
        connection.ops.adapt_datetimefield_value(time),
        getattr(user, "pk", None),
        name,
        EventType.ESCALATED,
        _("the department"),
        False,
        fallback_id,
        *sub_params,
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
