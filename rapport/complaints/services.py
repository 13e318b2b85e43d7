"""Every write to complaints: recording one, each step of the transition table, edits.

Each step locks the complaint row, checks the version it was based on, asks the transition table
(rapport.complaints.transitions) and the row rules (rapport.complaints.rules) whether this user
may take it, writes the step as an event row (from → to, who, when) in the same transaction, and
contacts the customer through message_send after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.complaints import deadlines, mails, metrics, rules
from rapport.complaints.choices import (
    DEFAULT_ROUTING,
    SUBTYPES,
    Action,
    Category,
    Channel,
    EventType,
    RemedyKind,
    Severity,
    State,
    Target,
)
from rapport.complaints.models import Approval, Cause, Complaint, ComplaintEvent, Remedy
from rapport.core.actors import Actor, actor_user
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ConflictError
from rapport.core.services import conflict_for, diff, record_change, snapshot

SATISFACTION_PURPOSE = "complaint_satisfaction"
FOLLOW_PURPOSE = "complaint"


class TransitionRefused(ConflictError):
    """The transition table (or a row rule) refuses the step: HTTP 409 with the reason."""

    def __init__(self, reason: str, *, current_version: int = 0) -> None:
        self.reason = reason
        super().__init__(current_version=current_version)

    @property
    def message(self) -> str:
        return self.reason


@dataclass(frozen=True)
class CustomerActor:
    """The complainant acting on the portal (satisfaction check, rejection, reopening)."""

    customer_id: int

    def __str__(self) -> str:
        return "customer portal"


def _choice(value: str, choices: Any, field: str, *, blank: bool = False) -> str:
    if blank and not value:
        return ""
    if value not in choices.values:
        raise ValidationError({field: [_("Choose one of the listed values.")]})
    return value


def _roles_of(by: Any) -> frozenset[str]:
    from rapport.core.actors import SystemActor

    if isinstance(by, CustomerActor):
        return frozenset({"customer"})
    if isinstance(by, SystemActor) and by.name in ("demo", "command line"):
        return frozenset({"administrator"})  # the demo loader and the operator's CLI
    return rules.user_roles(by)


# Step 1: record ----------------------------------------------------------------------------------


def complaint_record(
    *,
    by: Actor,
    customer_id: int | None,
    channel: str,
    category: str,
    description: str,
    subtype: str = "",
    request: str = "",
    severity: str = Severity.NORMAL,
    received_at: datetime | None = None,
    target: str = Target.FREE_TEXT,
    order_id: int | None = None,
    order_line_id: int | None = None,
    product_id: int | None = None,
    batch: str = "",
    staff_member_id: int | None = None,
    subject_text: str = "",
    subject_id: int | None = None,
    organisation_contact_id: int | None = None,
    acknowledge: bool = True,
) -> Complaint:
    """Record a complaint (step 1) and acknowledge it to the customer at once, in their language,
    with its reference number."""
    from rapport.customers.models import Customer
    from rapport.sales.models import Order, OrderLine

    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("Describe what the customer complains about.")]
    for field, value, choices in (
        ("channel", channel, Channel),
        ("category", category, Category),
        ("severity", severity, Severity),
        ("target", target, Target),
    ):
        if value not in choices.values:
            errors[field] = [_("Choose one of the listed values.")]
    if subtype and subtype not in dict(SUBTYPES.get(category, [])):
        errors["subtype"] = [_("This sub-type does not belong to the category.")]
    organisation_id = None
    if organisation_contact_id is not None:
        from rapport.customers.models import OrganisationContact

        contact = OrganisationContact.objects.filter(pk=organisation_contact_id).first()
        if contact is None or (customer_id and contact.person_id != customer_id):
            errors["organisation_contact_id"] = [_("No such contact person.")]
        else:
            customer_id, organisation_id = contact.person_id, contact.organisation_id
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        errors["customer_id"] = [_("No such customer.")]
    subject_label = ""
    if target == Target.SERVICE_VISIT:
        from rapport.core.registry import linkable_record

        kind = linkable_record(target)
        found = kind.describe(subject_id, customer.pk) if kind and subject_id and customer else None
        if found is None:
            errors["subject_id"] = [_("This service visit is not the customer's.")]
        else:
            subject_label = found[0]
    elif subject_id is not None:
        errors["subject_id"] = [_("Only a service visit is named by its number.")]
    if order_line_id is not None:
        line = OrderLine.objects.select_related("order").filter(pk=order_line_id).first()
        if line is None or (customer and line.order.customer_id != customer.pk):
            errors["order_line_id"] = [_("This order line is not the customer's.")]
        else:
            order_id = order_id or line.order_id
            product_id = product_id or line.product_id
            batch = batch or line.batch
    if (
        order_id is not None
        and customer is not None
        and not Order.objects.filter(pk=order_id, customer_id=customer.pk).exists()
    ):
        errors["order_id"] = [_("This order is not the customer's.")]
    if len(request) > 500:
        errors["request"] = [_("At most 500 characters.")]
    if errors:
        raise ValidationError(errors)
    assert customer is not None
    received_at = received_at or timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.create(
            customer=customer,
            received_at=received_at,
            channel=channel,
            target=target,
            order_id=order_id,
            order_line_id=order_line_id,
            product_id=product_id,
            batch=batch[:40],
            staff_member_id=staff_member_id,
            subject_text=(subject_text or subject_label)[:200],
            subject_id=subject_id,
            organisation_id=organisation_id,
            category=category,
            subtype=subtype,
            request=request,
            description=description,
            severity=severity,
            language=customer.preferred_language or "",
            created_by=actor_user(by),
            **deadlines.initial(received_at),
        )
        complaint.reference = f"K{received_at:%y}-{complaint.pk:06d}"
        complaint.save(update_fields=["reference"])
        emit(
            ComplaintEvent,
            by=by,
            type=EventType.RECORDED,
            complaint=complaint,
            customer_id=customer.pk,
            to_state=State.NEW,
            time=received_at if received_at < timezone.now() else None,
            parameters={"reference": complaint.reference, "channel": channel},
            worked=0,
        )
        record_change(
            obj=complaint,
            action=ChangeAction.CREATE,
            by=by,
            customer_id=customer.pk,
            changes={k: [None, v] for k, v in snapshot(complaint).items() if v not in ("", None)},
        )
        if acknowledge:
            complaint_acknowledge(complaint=complaint, by=by)
    return complaint


def complaint_acknowledge(*, complaint: Complaint, by: Actor) -> None:
    """Tell the customer at once that the complaint is being looked into (its first contact)."""
    from datetime import timedelta

    from rapport.portal.services import link_issue, link_url

    _link, raw = link_issue(
        customer_id=complaint.customer_id,
        purpose=FOLLOW_PURPOSE,
        by=by,
        target=("complaints.complaint", complaint.pk),
        single_use=False,
        lifetime=timedelta(days=180),
    )
    message = mails.send(complaint, "acknowledgement", by=by, link=link_url(raw))
    now = timezone.now()
    Complaint.objects.filter(pk=complaint.pk).update(acknowledged_at=now)
    complaint.acknowledged_at = now
    emit(
        ComplaintEvent,
        by=by,
        type=EventType.ACKNOWLEDGED,
        complaint=complaint,
        customer_id=complaint.customer_id,
        time=now,
        parameters={"message_id": message.pk, "state": message.state},
        **metrics.stamp(complaint, type=EventType.ACKNOWLEDGED, time=now),
    )


# Steps 2–8: the transition table ---------------------------------------------------------------


def _latest_remedy(complaint: Complaint) -> Remedy | None:
    return (
        Remedy.objects.filter(complaint=complaint)
        .prefetch_related("approvals")
        .order_by("-pk")
        .first()
    )


def complaint_act(
    *,
    by: Actor | CustomerActor,
    complaint_id: int,
    action: str,
    expected_version: int | None = None,
    reason: str = "",
    department_id: int | None = None,
    assignee_id: int | None = None,
    cause_id: int | None = None,
    cause_note: str = "",
    responsible: str = "",
    kind: str = "",
    amount: Any = 0,
    currency: str = "",
    description: str = "",
    penalty: str = "",
    summary: str = "",
    lesson: str = "",
    now: datetime | None = None,
    notify: bool = True,
) -> Complaint:
    """Take one step of the process. TransitionRefused (409) when the table or a row rule says
    no, ConflictError (409) for a stale version, ValidationError (400/422) for missing input."""
    from rapport.staff.models import Department

    user = None if isinstance(by, CustomerActor) else actor_user(by)
    roles = _roles_of(by)
    now = now or timezone.now()
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint_id)
        if isinstance(by, CustomerActor) and complaint.customer_id != by.customer_id:
            raise Complaint.DoesNotExist
        if expected_version is not None and complaint.version != expected_version:
            raise conflict_for(complaint)
        remedy = _latest_remedy(complaint) if action == Action.APPROVE else None
        why = rules.refusal(complaint, action, roles, user, remedy=remedy)
        if why is not None:
            raise TransitionRefused(why, current_version=complaint.version)
        before = snapshot(complaint)
        from_state = complaint.state
        to_state = rules.transitions.next_state(from_state, action)
        assert to_state is not None
        params: dict[str, Any] = {}
        after_commit: list[tuple[str, dict[str, str]]] = []
        reason = (reason or "").strip()

        if action == Action.ACCEPT:
            complaint.validity_reason = reason
            complaint.due_at = complaint.resolve_due or complaint.due_at
        elif action == Action.REJECT:
            if not reason:
                raise ValidationError({"reason": [_("Say why the complaint is not valid.")]})
            complaint.validity_reason = reason
            complaint.closed_at = now
            after_commit.append(("not_upheld", {"reason": reason}))
        elif action == Action.ASSIGN:
            department_id = department_id or _default_department_id(complaint.category)
            department = Department.objects.filter(pk=department_id, active=True).first()
            if department is None:
                raise ValidationError({"department_id": [_("Choose an active department.")]})
            complaint.department = department
            complaint.assignee_id = assignee_id
            params["department"] = department.label
            if from_state == State.ACCEPTED:
                clock = deadlines.clock_for(department)
                complaint.resolve_due = clock.deadline(
                    complaint.received_at, deadlines.targets()["resolve"]
                )
                complaint.due_at = complaint.resolve_due
        elif action == Action.RECORD_CAUSE:
            cause = Cause.objects.filter(pk=cause_id, active=True).first() if cause_id else None
            if cause is None:
                raise ValidationError({"cause_id": [_("Choose a cause from the list.")]})
            complaint.cause = cause
            complaint.cause_note = cause_note
            complaint.responsible = responsible[:200]
            params["cause"] = cause.label
        elif action == Action.PROPOSE_REMEDY:
            _choice(kind, RemedyKind, "kind")
            try:
                value = Decimal(str(amount or 0))
            except InvalidOperation:
                raise ValidationError({"amount": [_("Enter an amount.")]}) from None
            if value < 0:
                raise ValidationError({"amount": [_("The amount cannot be negative.")]})
            from django.conf import settings

            remedy = Remedy.objects.create(
                complaint=complaint,
                kind=kind,
                amount=value,
                currency=(currency or settings.RAPPORT_CURRENCY)[:3].upper(),
                description=description[:500],
                proposed_by=user,
            )
            params.update(remedy=str(remedy), remedy_id=remedy.pk)
        elif action == Action.APPROVE:
            if remedy is None or remedy.state != Remedy.PROPOSED:
                raise TransitionRefused(_("There is no proposed remedy to approve."))
            level = 2 if from_state == State.SECOND_APPROVAL else 1
            try:
                with transaction.atomic():
                    Approval.objects.create(
                        remedy=remedy, level=level, approved_by=user, approved_at=now, note=reason
                    )
            except IntegrityError:
                raise TransitionRefused(_("This remedy has already been approved.")) from None
            if level == 1 and float(remedy.amount) > rules.second_approval_above():
                to_state = State.SECOND_APPROVAL
            else:
                remedy.state = Remedy.APPROVED
                remedy.save(update_fields=["state", "updated_at"])
            params.update(remedy=str(remedy), level=level)
        elif action == Action.SEND_BACK:
            latest = _latest_remedy(complaint)
            if latest is not None and latest.state == Remedy.PROPOSED:
                latest.state = Remedy.SENT_BACK
                latest.save(update_fields=["state", "updated_at"])
            params["reason"] = reason
        elif action == Action.CARRY_OUT:
            latest = _latest_remedy(complaint)
            if latest is None or latest.state != Remedy.APPROVED:
                raise TransitionRefused(_("There is no approved remedy to carry out."))
            latest.state, latest.carried_out_at = Remedy.CARRIED_OUT, now
            latest.save(update_fields=["state", "carried_out_at", "updated_at"])
            complaint.penalty = penalty[:300]
            params["remedy"] = str(latest)
            after_commit.append(("decision", {"remedy": latest.get_kind_display()}))
        elif action == Action.CUSTOMER_REJECTS:
            complaint.recourse = _recourse_text()
            params["reason"] = reason
            after_commit.append(("recourse", {}))
        elif action == Action.CLOSE:
            summary = (summary or reason).strip()
            if not summary:
                raise ValidationError({"summary": [_("Write a short summary before closing.")]})
            complaint.summary, complaint.lesson = summary, lesson
            complaint.closed_at = now
        elif action == Action.REOPEN:
            complaint.reopen_count += 1
            complaint.closed_at = None
            clock = deadlines.clock_for(complaint.department)
            complaint.resolve_due = clock.deadline(now, deadlines.targets()["resolve"])
            complaint.due_at = complaint.resolve_due
            params["reason"] = reason
            after_commit.append(("reopened", {}))
        elif action == Action.WAIT:
            complaint.waiting_since = now
            params["reason"] = reason
        elif action == Action.RESUME:
            clock = deadlines.clock_for(complaint.department)
            paused = complaint.waiting_since
            assert paused is not None
            for field in ("decide_due", "resolve_due", "due_at"):
                setattr(
                    complaint,
                    field,
                    deadlines.moved_by_pause(getattr(complaint, field), paused, now, clock),
                )
            complaint.waiting_since = None

        complaint.state = to_state
        complaint.version += 1
        complaint.save()
        figures = metrics.stamp(complaint, type=EventType.TRANSITION, action=action, time=now)
        emit(
            ComplaintEvent,
            by=by,  # type: ignore[arg-type]
            type=EventType.TRANSITION,
            complaint=complaint,
            customer_id=complaint.customer_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            time=now,
            parameters=params,
            **figures,
        )
        record_change(
            obj=complaint,
            action=ChangeAction.UPDATE,
            by=by,  # type: ignore[arg-type]
            customer_id=complaint.customer_id,
            changes=diff(before, snapshot(complaint)),
        )
        for kind_, extra in after_commit if notify else []:
            _notify(complaint, kind_, by=by, version=complaint.version, **extra)
    return complaint


def _notify(complaint: Complaint, kind: str, *, by: Actor, version: int, **extra: str) -> None:
    if kind == "decision":
        from rapport.portal.services import link_issue, link_url

        _link, raw = link_issue(
            customer_id=complaint.customer_id,
            purpose=SATISFACTION_PURPOSE,
            by=by,
            target=("complaints.complaint", complaint.pk),
            single_use=True,
        )
        extra["link"] = link_url(raw)
    mails.send(complaint, kind, by=by, key_suffix=str(version), **extra)


def _recourse_text() -> str:
    return _(
        "The complaint stays open for a manager's review; the customer may turn to the consumer "
        "protection authority, a mediation service or the courts."
    )


def _default_department_id(category: str) -> int | None:
    from rapport.staff.models import Department

    code = DEFAULT_ROUTING.get(category)  # type: ignore[call-overload]
    return Department.objects.filter(code=code).values_list("pk", flat=True).first()


# Edits -----------------------------------------------------------------------------------------

EDITABLE = ("category", "subtype", "request", "description", "severity", "subject_text", "batch")


def complaint_update(
    *, by: Actor, complaint_id: int, expected_version: int, **fields: Any
) -> Complaint:
    """Change the complaint form's details; a stale version gets a conflict."""
    from rapport.core.services import versioned_update

    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [_("This field cannot be changed here.")]})

    def apply(obj: Complaint) -> None:
        if not obj.is_open:
            raise TransitionRefused(_("A closed complaint cannot be edited; reopen it first."))
        for name, value in fields.items():
            setattr(obj, name, value)
        if "category" in fields:
            _choice(obj.category, Category, "category")
        if obj.subtype and obj.subtype not in dict(SUBTYPES.get(obj.category, [])):
            raise ValidationError(
                {"subtype": [_("This sub-type does not belong to the category.")]}
            )
        if not (obj.description or "").strip():
            raise ValidationError(
                {"description": [_("Describe what the customer complains about.")]}
            )

    with transaction.atomic():
        complaint, changes = versioned_update(
            model=Complaint,
            pk=complaint_id,
            by=by,
            expected_version=expected_version,
            apply=apply,
            customer_id=lambda c: c.customer_id,
        )
        if changes:
            emit(
                ComplaintEvent,
                by=by,
                type=EventType.EDITED,
                complaint=complaint,
                customer_id=complaint.customer_id,
                parameters={"fields": sorted(changes)},
            )
    return complaint


# Causes ----------------------------------------------------------------------------------------


def cause_create(*, by: Actor, code: str, name: str, category: str = "") -> Cause:
    if not code or not name:
        raise ValidationError({"name": [_("Give a code and a name.")]})
    _choice(category, Category, "category", blank=True)
    if Cause.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A cause with this code exists already.")]})
    cause = Cause.objects.create(code=code, name=name, category=category)
    record_change(obj=cause, action=ChangeAction.CREATE, by=by, changes={"name": [None, name]})
    return cause
