"""How a message leaves on each channel. Email goes through Django's mail (the MAILERS setting,
from EMAIL_URL: SMTP, or a provider's API through django-anymail);
channels without a backend (SMS, post, WeChat) are handed over as a list for a provider or a print
shop (the message is marked "handed to a provider" and exported by whoever sends them). An app or
a deployment adds a backend with `register_channel_backend` (an SMS gateway, say)."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers

from rapport.communications.models import OutboundMessage


@dataclass(frozen=True)
class Delivery:
    provider_id: str = ""
    exported: bool = False  # handed over for someone else to send


Backend = Callable[[OutboundMessage], Delivery]
_backends: dict[str, Backend] = {}


def register_channel_backend(channel: str, backend: Backend) -> None:
    _backends[channel] = backend


def backend_for(channel: str) -> Backend:
    return _backends.get(channel, _hand_over)


def _hand_over(message: OutboundMessage) -> Delivery:
    return Delivery(exported=True)


def send_email(message: OutboundMessage) -> Delivery:
    email, message_id = _email(message)
    email.send()
    return _delivered(email, message_id)


def _email(message: OutboundMessage) -> tuple[EmailMultiAlternatives, str]:
    # Our own Message-ID, kept as the provider id: a bounce or complaint report names it.
    message_id = make_msgid(domain=settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or None)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address],
        headers={
            "X-Rapport-Message": message.idempotency_key[:200],
            "Message-ID": message_id,
            **message.headers,
        },
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    # With a django-anymail backend the provider's tracking events carry this back (and the
    # provider's own message id, kept instead of ours); other backends ignore it.
    email.metadata = {"rapport_message": str(message.pk)}  # type: ignore[attr-defined]
    return email, message_id


def _delivered(email: EmailMultiAlternatives, message_id: str) -> Delivery:
    status = getattr(email, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return Delivery(provider_id=str(status.message_id))
    return Delivery(provider_id=message_id)


register_channel_backend("email", send_email)


# Sending many at once: one connection for a batch, each message's outcome (a Delivery, or the
# exception that refused it) in the batch's order.
BatchBackend = Callable[[Sequence[OutboundMessage], float], list[Delivery | Exception]]
_batch_backends: dict[str, BatchBackend] = {}


def register_channel_batch_backend(channel: str, backend: BatchBackend) -> None:
    _batch_backends[channel] = backend


def batch_backend_for(channel: str) -> BatchBackend:
    """The channel's batch sender; a channel with only a one-message backend sends one by one."""
    if channel in _batch_backends:
        return _batch_backends[channel]
    single = backend_for(channel)

    def one_by_one(messages: Sequence[OutboundMessage], pause: float) -> list[Delivery | Exception]:
        outcomes: list[Delivery | Exception] = []
        for message in messages:
            try:
                outcomes.append(single(message))
            except Exception as exc:  # noqa: BLE001 (recorded on the message)
                outcomes.append(exc)
            if pause:
                time.sleep(pause)
        return outcomes

    return one_by_one


def send_emails(messages: Sequence[OutboundMessage], pause: float) -> list[Delivery | Exception]:
    """E-mail a batch over one connection to the mail server (or the provider's API session):
    one message refused does not stop the others; a dropped connection is opened again."""
    connection = mailers.default
    outcomes: list[Delivery | Exception] = []
    try:
        for message in messages:
            email, message_id = _email(message)
            try:
                connection.open()  # once; again after a failure closed it
                connection.send_messages([email])
            except Exception as exc:  # noqa: BLE001 (recorded on the message)
                outcomes.append(exc)
                connection.close()  # the next message starts on a fresh connection
            else:
                outcomes.append(_delivered(email, message_id))
            if pause:
                time.sleep(pause)
    finally:
        connection.close()
    return outcomes


register_channel_batch_backend("email", send_emails)
