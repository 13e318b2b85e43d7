"""How a message leaves on each channel. Email goes through Django's mail (the MAILERS setting,
from EMAIL_URL: SMTP, or a provider's API through django-anymail);
channels without a backend (SMS, post, WeChat) are handed over as a list for a provider or a print
shop (the message is marked "handed to a provider" and exported by whoever sends them). An app or
a deployment adds a backend with `register_channel_backend` (an SMS gateway, say)."""

import base64
import functools
import re
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

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
    message_id = make_msgid(domain=_domain())
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


def _domain() -> str | None:
    """The sender's domain, for our Message-IDs ("Shop <noreply@shop.example>" too)."""
    return _sender(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or None


@functools.lru_cache(maxsize=8)
def _sender(from_email: str) -> tuple[str, str]:
    """(name, address) of DEFAULT_FROM_EMAIL, parsed once (not once a message)."""
    return parseaddr(from_email)


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
    one message refused does not stop the others; a dropped connection is opened again. On
    Django's SMTP backend a plain-text message is composed by `compose` (the email package's
    header registry costs milliseconds a message) and handed to the open SMTP session."""
    connection = mailers.default
    direct = type(connection) is SmtpBackend
    sender = _sender(settings.DEFAULT_FROM_EMAIL)[1]
    outcomes: list[Delivery | Exception] = []
    try:
        for message in messages:
            try:
                connection.open()  # once; again after a failure closed it
                composed = compose(message) if direct else None
                if composed is not None:
                    data, message_id = composed
                    _smtp_send(connection.connection, sender, message.to_address, data)
                    outcomes.append(Delivery(provider_id=message_id))
                else:
                    email, message_id = _email(message)
                    connection.send_messages([email])
                    outcomes.append(_delivered(email, message_id))
            except Exception as exc:  # noqa: BLE001 (recorded on the message)
                outcomes.append(exc)
                connection.close()  # the next message starts on a fresh connection
            if pause:
                time.sleep(pause)
    finally:
        connection.close()
    return outcomes


# A dot-atom address (what parseaddr gives back unchanged), checked without parsing it.
_PLAIN_ADDRESS = re.compile(
    r"[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*@[\w-]+(\.[\w-]+)*", re.ASCII
)
_PERIOD_AT_START = re.compile(rb"(?m)^\.")


def _smtp_send(smtp: smtplib.SMTP, sender: str, to: str, data: bytes) -> None:
    """Hand one composed message (7-bit: nothing for 8BITMIME or SMTPUTF8) to the open SMTP
    session. A server that offers PIPELINING (RFC 2920; Postfix, most providers) gets MAIL, RCPT
    and DATA in one write, then the text: two round trips instead of smtplib's four. Any refusal
    raises (the caller records it on that message and opens a fresh connection)."""
    smtp.ehlo_or_helo_if_needed()
    if not smtp.has_extn("pipelining"):
        smtp.sendmail(sender, [to], data)
        return
    smtp.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode("ascii"))
    mail, rcpt, start = smtp.getreply(), smtp.getreply(), smtp.getreply()
    if mail[0] != 250:
        raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    if rcpt[0] not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to: rcpt})
    if start[0] != 354:
        raise smtplib.SMTPDataError(start[0], start[1])
    text = _PERIOD_AT_START.sub(b"..", data)
    if not text.endswith(b"\r\n"):
        text += b"\r\n"
    smtp.send(text + b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def compose(message: OutboundMessage) -> tuple[bytes, str] | None:
    """A plain-text message as the MIME bytes `_email` would give (UTF-8, encoded words in the
    subject, base64 text when it is not short-lined ASCII) and its Message-ID; None when it
    needs the email package: an HTML part, or an address or header that is not plain ASCII."""
    to = message.to_address
    if message.html_body or not to.isascii() or to.count("@") != 1:
        return None
    if not _PLAIN_ADDRESS.fullmatch(to) and parseaddr(to)[1] != to:
        return None
    extra = {"X-Rapport-Message": message.idempotency_key[:200], **message.headers}
    if not all(_plain_header(k, v) for k, v in extra.items()):
        return None
    name, address = _sender(settings.DEFAULT_FROM_EMAIL)
    if not address.isascii():
        return None
    message_id = make_msgid(domain=address.rpartition("@")[2] or None)
    subject = message.subject.replace("\r", " ").replace("\n", " ")  # a header is one line
    if subject.isascii() and len(subject) <= 70 and subject == subject.strip():
        subject_line = f"Subject: {subject}"
    else:
        subject_line = "Subject: " + _encoded_words(subject)
    lines = [
        subject_line,
        f"From: {formataddr((name, address), charset='utf-8')}",
        f"To: {message.to_address}",
        f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
        f"Message-ID: {message_id}",
        *(f"{k}: {v}" for k, v in extra.items()),
        "MIME-Version: 1.0",
    ]
    body = message.body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"  # as the email package ends a text
    if body.isascii() and all(len(line) <= 900 for line in body.split("\n")):
        lines += ['Content-Type: text/plain; charset="us-ascii"', "Content-Transfer-Encoding: 7bit"]
        text = body.replace("\n", "\r\n").encode("ascii")
    else:
        lines += ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64"]
        text = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    head = "\r\n".join(lines).encode("ascii")
    return head + b"\r\n\r\n" + text, message_id


def _encoded_words(text: str, room: int = 39) -> str:
    """`text` as RFC 2047 encoded words (UTF-8, base64) of at most `room` bytes of text each
    (whole characters; a word of 64 characters after "Subject: " keeps a line under 78), one
    per folded line. A reader joins adjacent encoded words without the folding between them."""
    words, start, size = [], 0, 0
    for i, char in enumerate(text):
        width = len(char.encode("utf-8"))
        if size + width > room:
            words.append(text[start:i])
            start, size = i, 0
        size += width
    words.append(text[start:])
    return "\r\n ".join(
        "=?utf-8?b?" + base64.b64encode(word.encode("utf-8")).decode("ascii") + "?="
        for word in words
    )


_COMPOSED = {"subject", "from", "to", "cc", "bcc", "reply-to", "date", "message-id", "mime-version"}


def _plain_header(name: str, value: str) -> bool:
    return (
        name.isascii()
        and name.lower() not in _COMPOSED
        and not name.lower().startswith("content-")
        and value.isascii()
        and "\n" not in value
        and "\r" not in value
        and len(value) < 900
    )


register_channel_batch_backend("email", send_emails)
