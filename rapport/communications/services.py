"""Logging contacts with customers and keeping what they mentioned."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
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
from rapport.core.bulk import insert_new_rows, update_rows
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


@dataclass(frozen=True)
class NewMessage:
    """One message for messages_send: to whom, what, and the key that makes it once only."""

    customer: Any  # a Customer (its addresses are read from it, not queried again)
    subject: str
    body: str
    idempotency_key: str
    html_body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    language: str = ""


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
    """Send one message to a customer — the only way anything in Rapport contacts a customer
    (messages_send for many at once).

    The message row is claimed by `idempotency_key` before anything is sent: a second call with
    the same key (a retried task, a double click, a second worker) returns the first message and
    sends nothing. The consent rule decides (see messages_send). Delivery runs after the
    transaction commits (a background task), so a rolled-back step never sends anything.
    """
    from rapport.customers.models import Customer

    with transaction.atomic():
        existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        (message,) = messages_send(
            channel=channel,
            purpose=purpose,
            by=by,
            source=source,
            messages=[
                NewMessage(
                    customer=Customer.objects.get(pk=customer_id),
                    subject=subject,
                    body=body,
                    idempotency_key=idempotency_key,
                    html_body=html_body,
                    headers=headers or {},
                    language=language,
                )
            ],
        )
        if message.state == MessageState.QUEUED:
            from rapport.communications.tasks import deliver_message

            pk = message.pk
            transaction.on_commit(lambda: deliver_message.enqueue(pk))
    return message


def messages_send(
    *,
    channel: str,
    purpose: str,
    messages: Sequence[NewMessage],
    by: Actor,
    source: tuple[str, int] | None = None,
) -> list[OutboundMessage]:
    """Write messages to customers, in the order given, each claimed by its idempotency key: a
    key already written returns the message written then (nothing is written or sent twice).
    The consent rule (rapport.customers.selectors.contact_permissions, the one gate) decides: a
    message that may not go is kept as "suppressed" with the reason; one that may is "queued" —
    nothing is sent here: the caller hands the queued ones to messages_deliver (a campaign's
    sending task sends at once with messages_send_now) or message_send queues a delivery task."""
    with transaction.atomic():
        return _write(channel, purpose, messages, by, source, claim=False)[0]


def messages_send_now(
    *,
    channel: str,
    purpose: str,
    messages: Sequence[NewMessage],
    by: Actor,
    source: tuple[str, int] | None = None,
    pause: float = 0.0,
    written: Callable[[list[OutboundMessage]], None] | None = None,
) -> list[OutboundMessage]:
    """messages_send and messages_deliver at once, for a sender that delivers what it writes
    straight away (a campaign's sending task). One transaction writes the messages through the
    same consent gate — those that may go already "sending": claimed by the key this call
    wrote, so no other worker can take them — and runs `written(messages)` (the caller links
    them to its own rows); then they are sent over one connection and each outcome recorded.
    Two commits a batch instead of four, and no claiming update. A key written before returns
    its message as it is; a queued one among them is claimed and sent as messages_deliver does.
    A process that dies between writing and recording leaves its messages "sending" for a
    person to check — never sent twice."""
    with transaction.atomic():
        found, mine = _write(channel, purpose, messages, by, source, claim=True)
        if written is not None:
            written(found)
    _deliver([m for m in found if m.pk in mine], pause, {})
    queued = [m.pk for m in found if m.pk not in mine and m.state == MessageState.QUEUED]
    if queued:
        messages_deliver(message_ids=queued, pause=pause)
    return found


def _write(
    channel: str,
    purpose: str,
    messages: Sequence[NewMessage],
    by: Actor,
    source: tuple[str, int] | None,
    *,
    claim: bool,
) -> tuple[list[OutboundMessage], set[int]]:
    """The messages written (in a transaction of the caller's), in the order given, and the ids
    of those this call wrote itself that may go; with `claim` these are written "sending"."""
    from rapport.customers.selectors import contact_permissions

    _check_choice(purpose, MessagePurpose, "purpose")
    keys = [m.idempotency_key for m in messages]
    if any(not key or len(key) > 200 for key in keys):
        raise ValidationError({"idempotency_key": [_("Give a key of 1 to 200 characters.")]})
    if not messages:
        return [], set()
    existing = set(
        OutboundMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    new = [m for m in messages if m.idempotency_key not in existing]
    verdicts = contact_permissions([m.customer for m in new], channel=channel, purpose=purpose)
    user = actor_user(by)
    now = timezone.now()
    go = MessageState.SENDING if claim else MessageState.QUEUED
    rows: dict[str, OutboundMessage] = {}
    for m in new:
        verdict = verdicts[m.customer.pk]
        rows[m.idempotency_key] = OutboundMessage(
            created_at=now,
            updated_at=now,
            customer_id=m.customer.pk,
            channel=channel,
            purpose=purpose,
            idempotency_key=m.idempotency_key,
            to_address=verdict.address[:254],
            language=m.language,
            subject=m.subject[:300],
            body=m.body,
            html_body=m.html_body,
            headers=m.headers,
            state=go if verdict.allowed else MessageState.SUPPRESSED,
            reason="" if verdict.allowed else verdict.reason[:300],
            attempts=1 if claim and verdict.allowed else 0,
            provider_id="",
            source_type=source[0] if source else "",
            source_id=source[1] if source else None,
            created_by=user,
        )
    # A racing caller with the same keys: the database keeps one row per key, and tells each
    # caller which rows are its own.
    ids = insert_new_rows(
        OutboundMessage,
        _MESSAGE_COLUMNS,
        [tuple(getattr(r, c) for c in _MESSAGE_COLUMNS) for r in rows.values()],
        unique="idempotency_key",
    )
    found: dict[str, OutboundMessage] = {}
    for key, pk in ids.items():
        row = rows[key]
        row.pk, row._state.adding, row._state.db = pk, False, OutboundMessage.objects.db
        found[key] = row
    others = [key for key in keys if key not in found]
    if others:
        found.update(
            (m.idempotency_key, m)
            for m in OutboundMessage.objects.filter(idempotency_key__in=others)
        )
    go_states = (MessageState.SENDING, MessageState.QUEUED)
    mine = {m.pk for key, m in found.items() if key in ids and m.state in go_states}
    return [found[key] for key in keys], mine


_MESSAGE_COLUMNS = (
    "created_at",
    "updated_at",
    "customer_id",
    "channel",
    "purpose",
    "idempotency_key",
    "to_address",
    "language",
    "subject",
    "body",
    "html_body",
    "headers",
    "state",
    "reason",
    "attempts",
    "provider_id",
    "source_type",
    "source_id",
    "created_by_id",
)

# Of the queued messages, how many one worker claims, sends over one connection and records at
# once. A process that dies while sending leaves at most these "sending" for a person to check.
DELIVERY_BATCH = 100


def message_deliver(*, message_id: int) -> OutboundMessage:
    """Send a queued message once (see messages_deliver)."""
    messages_deliver(message_ids=[message_id])
    return OutboundMessage.objects.get(pk=message_id)


def messages_deliver(*, message_ids: Sequence[int], pause: float = 0.0) -> dict[str, int]:
    """Send the queued messages among `message_ids`, DELIVERY_BATCH at a time: each batch is
    claimed (queued → sending) in one statement — of two workers only one gets a message; a
    message found "sending" is never sent again (if the process died while sending, a person
    checks it rather than the customer getting it twice) — then sent over one connection per
    channel, and each message's outcome recorded. Returns how many messages ended in each state.
    `pause`: seconds to wait after each message (a channel's throttle)."""
    counts: dict[str, int] = {}
    ids = list(message_ids)
    for i in range(0, len(ids), DELIVERY_BATCH):
        claimed = _claim(ids[i : i + DELIVERY_BATCH])
        if claimed:
            _deliver(
                list(OutboundMessage.objects.filter(pk__in=claimed).order_by("pk")), pause, counts
            )
    return counts


def _deliver(messages: list[OutboundMessage], pause: float, counts: dict[str, int]) -> None:
    """Send messages this caller claimed ("sending"), over one connection per channel, and
    record each one's outcome (one statement a channel); `counts` adds up the end states."""
    from rapport.communications.channels import batch_backend_for

    by_channel: dict[str, list[OutboundMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel, []).append(message)
    for channel, batch in by_channel.items():
        outcomes = batch_backend_for(channel)(batch, pause)
        now = timezone.now()
        for message, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):  # the provider refused it or was unreachable
                logger.warning("Message %s could not be sent: %s", message.pk, outcome)
                message.state, message.reason = MessageState.FAILED, str(outcome)[:300]
            else:
                message.state = MessageState.EXPORTED if outcome.exported else MessageState.SENT
                message.sent_at = None if outcome.exported else now
                message.provider_id = outcome.provider_id[:200]
            message.updated_at = now
            counts[message.state] = counts.get(message.state, 0) + 1
        update_rows(  # one statement sent once for the batch (executemany)
            OutboundMessage,
            ("state", "reason", "sent_at", "provider_id", "updated_at"),
            [(m.state, m.reason, m.sent_at, m.provider_id, m.updated_at, m.pk) for m in batch],
        )


def _claim(ids: list[int]) -> list[int]:
    """Mark the queued messages among `ids` "sending" in one statement; the ids this caller got.
    PostgreSQL skips rows another worker is claiming instead of waiting for it."""
    from django.db import connection

    table = OutboundMessage._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    if connection.vendor == "postgresql":
        sql = (
            f"WITH mine AS (SELECT id FROM {table} WHERE id IN ({marks}) AND state = %s "  # noqa: S608
            f"FOR UPDATE SKIP LOCKED) UPDATE {table} AS m SET state = %s, "
            "attempts = m.attempts + 1, updated_at = %s FROM mine WHERE m.id = mine.id "
            "RETURNING m.id"
        )
        params: list[Any] = [*ids, MessageState.QUEUED, MessageState.SENDING, timezone.now()]
    else:
        sql = (
            f"UPDATE {table} SET state = %s, attempts = attempts + 1, updated_at = %s "  # noqa: S608
            f"WHERE id IN ({marks}) AND state = %s RETURNING id"
        )
        params = [MessageState.SENDING, timezone.now(), *ids, MessageState.QUEUED]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


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
