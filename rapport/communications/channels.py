"""How a message leaves on each channel. Email goes through Django's mail (the MAILERS setting,
from EMAIL_URL: SMTP, or a provider's API through django-anymail);
channels without a backend (SMS, post, WeChat) are handed over as a list for a provider or a print
shop (the message is marked "handed to a provider" and exported by whoever sends them). An app or
a deployment adds a backend with `register_channel_backend` (an SMS gateway, say)."""

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

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
    email.send()
    status = getattr(email, "anymail_status", None)
    if status is not None and status.message_id is not None:
        return Delivery(provider_id=str(status.message_id))
    return Delivery(provider_id=message_id)


register_channel_backend("email", send_email)
