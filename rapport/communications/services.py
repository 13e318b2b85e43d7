"""Logging contacts with customers and keeping what they mentioned."""

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.communications.bulk import (
    DETAIL_LENGTH,
    NewDetail,
    NewInteraction,
    details_insert,
    interactions_insert,
)
from rapport.communications.choices import (
    DetailKind,
    Direction,
    InteractionKind,
    MessagePurpose,
    MessageState,
)
from rapport.communications.models import Interaction, OutboundMessage, RememberedDetail
from rapport.core.actors import Actor, actor_user
from rapport.core.choices import ChangeAction
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change

logger = logging.getLogger(__name__)


def _check_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )


@transaction.atomic
def interaction_log(
    *,
    by: Actor,
    customer_id: int,
    kind: str,
    direction: str,
    summary: str,
    subject: str = "",
    occurred_at: Any = None,
    organisation_id: int | None = None,
    details: list[dict[str, Any] | str] | None = None,
) -> Interaction:
    """Record one contact and the details the customer mentioned in it."""
    _check_choice(kind, InteractionKind, "kind")
    _check_choice(direction, Direction, "direction")
    if not (summary or "").strip():
        raise ValidationError({"summary": [_("Write what was said.")]})
    remembered = []
    for item in details or []:
        spec = {"text": item} if isinstance(item, str) else dict(item)
        if (spec.get("text") or "").strip():
            remembered.append(_clean_detail(**spec))
    (pk,) = interactions_insert(
        [
            NewInteraction(
                customer_id=customer_id,
                kind=kind,
                direction=direction,
                summary=summary.strip(),
                subject=subject.strip(),
                occurred_at=occurred_at or timezone.now(),
                organisation_id=organisation_id,
                details=remembered,
            )
        ],
        by=by,
    )
    return Interaction.objects.get(pk=pk)


def _clean_detail(
    *,
    text: str,
    kind: str = DetailKind.OTHER,
    relevant_on: Any = None,
    pinned: bool = False,
) -> NewDetail:
    _check_choice(kind, DetailKind, "kind")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write the detail.")]})
    if len(text) > DETAIL_LENGTH:  # refused, never cut: the writer would keep only the start
        raise ValidationError(
            {
                "text": [
                    _("At most %(limit)d characters; this has %(count)d.")
                    % {"limit": DETAIL_LENGTH, "count": len(text)}
                ]
            }
        )
    return NewDetail(text=text, kind=kind, relevant_on=relevant_on, pinned=pinned)


@transaction.atomic
def detail_add(
    *,
    by: Actor,
    customer_id: int,
    text: str,
    kind: str = DetailKind.OTHER,
    relevant_on: Any = None,
    pinned: bool = False,
    interaction: Interaction | None = None,
) -> RememberedDetail:
    """Remember something the customer mentioned; it stands at the top of their page."""
    detail = _clean_detail(text=text, kind=kind, relevant_on=relevant_on, pinned=pinned)
    (pk,) = details_insert(
        [(customer_id, detail, interaction.pk if interaction else None, None)], by=by
    )
    return RememberedDetail.objects.get(pk=pk)


@transaction.atomic
def detail_archive(*, by: Actor, detail_id: int) -> RememberedDetail:
    detail = RememberedDetail.objects.select_for_update().get(pk=detail_id)
    if not detail.archived:
        detail.archived = True
        detail.save(update_fields=["archived", "updated_at"])
        record_change(
            obj=detail,
            action=ChangeAction.UPDATE,
            by=by,
            customer_id=detail.customer_id,
            changes={"archived": [False, True]},
        )
    return detail


# Messages to customers -------------------------------------------------------------------------


def message_send(
    *,
    customer_id: int,
    channel: str,
    purpose: str,
    subject: str,
    body: str,
    idempotency_key: str,
    by: Actor,
    html_body: str = "",
    headers: dict[str, str] | None = None,
    language: str = "",
    source: tuple[str, int] | None = None,
) -> OutboundMessage:
    """Send one message to a customer — the only way anything in Rapport contacts a customer.

    The message row is claimed by `idempotency_key` before anything is sent: a second call with
    the same key (a retried task, a double click, a second worker) returns the first message and
    sends nothing. The consent rule (rapport.customers.selectors.contact_permission) decides: a
    message that may not go is kept as "not sent" with the reason. Delivery runs after the
    transaction commits (a background task), so a rolled-back step never sends anything.
    """
    from rapport.customers.models import Customer
    from rapport.customers.selectors import contact_permission

    _check_choice(purpose, MessagePurpose, "purpose")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValidationError({"idempotency_key": [_("Give a key of 1 to 200 characters.")]})
    with transaction.atomic():
        existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        customer = Customer.objects.get(pk=customer_id)
        verdict = contact_permission(customer, channel=channel, purpose=purpose)
        try:
            with transaction.atomic():  # a racing caller with the same key: one row wins
                message = OutboundMessage.objects.create(
                    customer=customer,
                    channel=channel,
                    purpose=purpose,
                    idempotency_key=idempotency_key,
                    to_address=verdict.address[:254],
                    language=language,
                    subject=subject[:300],
                    body=body,
                    html_body=html_body,
                    headers=headers or {},
                    state=MessageState.QUEUED if verdict.allowed else MessageState.SUPPRESSED,
                    reason="" if verdict.allowed else verdict.reason[:300],
                    source_type=source[0] if source else "",
                    source_id=source[1] if source else None,
                    created_by=actor_user(by),
                )
        except IntegrityError:
            return OutboundMessage.objects.get(idempotency_key=idempotency_key)
        if verdict.allowed:
            from rapport.communications.tasks import deliver_message

            pk = message.pk
            transaction.on_commit(lambda: deliver_message.enqueue(pk))
    return message


def message_deliver(*, message_id: int) -> OutboundMessage:
    """Send a queued message once. It is claimed (queued → sending) in one UPDATE: of two workers
    only one sends; a message found "sending" is never sent again (if the process died while
    sending, a person checks it rather than the customer getting it twice)."""
    from rapport.communications.channels import backend_for

    claimed = OutboundMessage.objects.filter(pk=message_id, state=MessageState.QUEUED).update(
        state=MessageState.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    message = OutboundMessage.objects.get(pk=message_id)
    if not claimed:
        return message
    try:
        delivery = backend_for(message.channel)(message)
    except Exception as exc:  # the provider refused it or could not be reached
        logger.warning("Message %s could not be sent: %s", message.pk, exc)
        message.state, message.reason = MessageState.FAILED, str(exc)[:300]
        message.save(update_fields=["state", "reason", "updated_at"])
        return message
    message.state = MessageState.EXPORTED if delivery.exported else MessageState.SENT
    message.sent_at = None if delivery.exported else timezone.now()
    message.provider_id = delivery.provider_id[:200]
    message.save(update_fields=["state", "sent_at", "provider_id", "updated_at"])
    return message


def message_requeue(*, message_id: int, by: Actor) -> OutboundMessage:
    """Try a failed message again (a person decided to, e.g. after fixing the mail server)."""
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(pk=message_id, state=MessageState.FAILED).update(
            state=MessageState.QUEUED, reason="", updated_at=timezone.now()
        )
        if updated:
            from rapport.communications.tasks import deliver_message

            transaction.on_commit(lambda: deliver_message.enqueue(message_id))
    return OutboundMessage.objects.get(pk=message_id)


def message_feedback(
    *, provider_id: str = "", message_id: int | None = None, state: str, reason: str = ""
) -> OutboundMessage | None:
    """A provider reported what became of a sent message: bounced or marked as spam (an inbound
    webhook, or django-anymail's tracking). Found by its provider id (or its own id); None when
    no message matches. The last word wins; a complaint is never turned back into a bounce.
    State "" records only the reason (the recipient unsubscribed at the provider, say)."""
    if state not in (MessageState.BOUNCED, MessageState.COMPLAINED, ""):
        raise ValidationError({"state": [_("Give “bounced” or “complained”.")]})
    with transaction.atomic():
        found = OutboundMessage.objects.select_for_update()
        if message_id is not None:
            message = found.filter(pk=message_id).first()
        elif provider_id:
            message = found.filter(provider_id=provider_id).first()
        else:
            message = None
        if message is None:
            return None
        if message.state == MessageState.COMPLAINED:
            return message
        message.state, message.reason = state or message.state, reason[:300]
        message.save(update_fields=["state", "reason", "updated_at"])
    return message
