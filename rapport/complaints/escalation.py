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
from rapport.core.events import notify_on_commit, on_commit


def overdue(now=None):  # noqa: ANN001, ANN201
    now = now or timezone.now()
    return Complaint.objects.filter(
        active=True,  # not closed: the range (active, due_at, id) up to now
        waiting_since__isnull=True,
        due_at__lt=now,
    ).filter(Q(escalated_due__isnull=True) | ~Q(escalated_due=F("due_at")))


def escalate(*, by: Actor = SCHEDULER, now=None, batch: int = 5000) -> int:  # noqa: ANN001
    """Escalate every breach not yet escalated; returns how many. The breaches are found in one
    read, then escalated in batches: each batch locks its rows, checks them again, writes their
    events in one statement and marks them in another; each manager gets one mail per batch."""
    from rapport.staff.models import Department

    now = now or timezone.now()
    departments = {d.pk: d for d in Department.objects.select_related("manager")}
    fallback = next((d for d in departments.values() if d.code == "customer_service"), None)
    user, name = actor_user(by), actor_name(by)[:150]
    candidates = list(overdue(now).order_by().values_list("pk", flat=True))
    done = 0
    for lo in range(0, len(candidates), batch):
        with transaction.atomic():
            rows = list(
                overdue(now)
                .filter(pk__in=candidates[lo : lo + batch])
                .select_for_update()
                .order_by("due_at", "id")
                .values_list("pk", "customer_id", "department_id", "due_at", "reference")
            )
            if not rows:
                continue
            events = []
            mails: dict[str, list[str]] = {}
            for pk, customer_id, department_id, due_at, reference in rows:
                department = departments.get(department_id) or fallback
                manager = department.manager if department else None
                who = manager.get_username() if manager else _("the department")
                events.append(
                    ComplaintEvent(
                        complaint_id=pk,
                        customer_id=customer_id,
                        time=timezone.now(),
                        user=user,
                        user_name=name,
                        type=EventType.ESCALATED,
                        parameters={"to": who, "due": due_at.isoformat()},
                    )
                )
                if manager is not None and manager.email:
                    mails.setdefault(manager.email, []).append(reference)
            # One statement for the whole batch: each row remembers the breach it escalated.
            ComplaintEvent.objects.bulk_create(events, batch_size=1000)
            Complaint.objects.filter(pk__in=[r[0] for r in rows]).update(escalated_due=F("due_at"))
            for event in events:
                notify_on_commit(event)
            for address, references in mails.items():
                on_commit(lambda a=address, r=references: _mail_manager(a, r))
            done += len(rows)
    return done


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
