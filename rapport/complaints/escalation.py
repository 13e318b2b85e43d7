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

from rapport.complaints.choices import CLOSED_STATES, EventType
from rapport.complaints.models import Complaint, ComplaintEvent
from rapport.core.actors import SCHEDULER, Actor, actor_name, actor_user
from rapport.core.events import notify_on_commit, on_commit


def overdue(now=None):  # noqa: ANN001, ANN201
    now = now or timezone.now()
    return Complaint.objects.filter(
        ~Q(state__in=CLOSED_STATES),
        waiting_since__isnull=True,
        due_at__lt=now,
    ).filter(Q(escalated_due__isnull=True) | ~Q(escalated_due=F("due_at")))


def escalate(*, by: Actor = SCHEDULER, now=None, batch: int = 1000) -> int:  # noqa: ANN001
    """Escalate every breach not yet escalated; returns how many."""
    from rapport.staff.models import Department

    done = 0
    fallback = Department.objects.filter(code="customer_service").select_related("manager").first()
    while True:
        with transaction.atomic():
            rows = list(
                overdue(now)
                .select_related("department__manager")
                .select_for_update(of=("self",))
                .order_by("due_at", "id")[:batch]
            )
            if not rows:
                return done
            user, name = actor_user(by), actor_name(by)[:150]
            events = []
            mails = []
            for c in rows:
                department = c.department or fallback
                manager = department.manager if department else None
                who = manager.get_username() if manager else _("the department")
                events.append(
                    ComplaintEvent(
                        complaint=c,
                        customer_id=c.customer_id,
                        time=timezone.now(),
                        user=user,
                        user_name=name,
                        type=EventType.ESCALATED,
                        parameters={"to": who, "due": c.due_at.isoformat()},
                    )
                )
                if manager is not None and manager.email:
                    mails.append((manager.email, c.reference))
            # One statement for the whole batch: each row remembers the breach it escalated.
            ComplaintEvent.objects.bulk_create(events)
            Complaint.objects.filter(pk__in=[c.pk for c in rows]).update(escalated_due=F("due_at"))
            for event in events:
                notify_on_commit(event)
            for address, reference in mails:
                subject = _("Overdue complaint %(reference)s") % {"reference": reference}
                on_commit(
                    lambda s=subject, a=address, r=reference: send_mail(
                        s, _("Complaint %(reference)s is overdue.") % {"reference": r}, None, [a]
                    )
                )
            done += len(rows)
