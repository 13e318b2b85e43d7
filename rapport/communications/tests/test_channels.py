"""The e-mail channel composes plain-text messages itself (for speed): a mail reader sees the
same subject, sender, recipient, headers and text as with Django's email package."""

import email
from email import policy

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.communications.channels import _email, compose
from rapport.communications.models import OutboundMessage

TEXT = st.lists(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"
        ),
        max_size=80,
    )
    | st.sampled_from(["\n", ".", "\n.\n", " ", "\r\n", "From ", "x" * 120]),
    max_size=12,
).map("".join)


def _read(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


@settings(max_examples=300, deadline=None)
@given(
    subject=TEXT.map(lambda s: s.replace("\r", "").replace("\n", "")[:300]),
    body=TEXT,
    name=st.sampled_from(["王小明", "Novák"]),
)
@override_settings(DEFAULT_FROM_EMAIL="Rapport Obchod <noreply@example.com>")
def test_a_composed_message_reads_as_the_email_package_writes_it(subject, body, name):
    message = OutboundMessage(
        pk=7,
        subject=subject,
        body=f"{name}\n{body}",
        to_address="li.na@example.com",
        idempotency_key="outreach:1:once:7:email",
        headers={
            "List-Unsubscribe": "<https://crm.example.com/public/outreach/unsubscribe/x:y/>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    composed = compose(message)
    assert composed is not None
    data, message_id = composed
    ours = _read(data)
    theirs = _read(_email(message)[0].message(policy=policy.SMTP).as_bytes())
    # The subject as written. (Space at the ends of a subject is not kept the same way by every
    # writer or reader; the email package's own folding even loses runs of spaces between
    # encoded words, which these plain encoded words keep.)
    assert ours["Subject"].strip() == subject.strip()
    for header in ("From", "To", "X-Rapport-Message", "List-Unsubscribe"):
        assert ours[header] == theirs[header], header
    assert ours["Message-ID"] == message_id
    assert ours["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The text as written, line breaks as the reader's (the email package writes them so too).
    assert ours.get_content().replace("\r\n", "\n") == theirs.get_content().replace("\r\n", "\n")


def test_what_it_does_not_compose_goes_through_the_email_package():
    plain = {"subject": "Hi", "body": "Text", "idempotency_key": "k", "to_address": "a@example.com"}
    assert compose(OutboundMessage(**plain)) is not None
    assert compose(OutboundMessage(**{**plain, "html_body": "<p>Text</p>"})) is None
    assert compose(OutboundMessage(**{**plain, "to_address": "zhang@例子.中国"})) is None
    assert compose(OutboundMessage(**{**plain, "to_address": "nobody@@bad"})) is None
    assert compose(OutboundMessage(**{**plain, "headers": {"Reply-To": "x@example.com"}})) is None
    assert compose(OutboundMessage(**{**plain, "headers": {"X-Note": "črta"}})) is None


class _PipeliningSink:
    """aiosmtpd offering PIPELINING (as Postfix does); refuses one recipient."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == "refused@example.com":
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def test_a_server_offering_pipelining_gets_each_message_in_two_round_trips(
    smtp_server_with, settings, monkeypatch
):
    import smtplib

    from rapport.communications.channels import Delivery, send_emails

    sink = smtp_server_with(_PipeliningSink())
    settings.DEFAULT_FROM_EMAIL = "Obchod <shop@example.com>"

    def no_sendmail(*args, **kwargs):
        raise AssertionError("smtplib's one-command-at-a-time sendmail was used")

    monkeypatch.setattr(smtplib.SMTP, "sendmail", no_sendmail)
    to = ["a@example.com", "b@example.com", "refused@example.com", "c@example.com"]
    messages = [
        OutboundMessage(
            pk=i,
            subject=f"Dobrý deň {i}",
            body=f"Line one\n.\n.starts with a period {i}",  # dot-stuffed on the wire
            to_address=address,
            idempotency_key=f"pipelined-{i}",
        )
        for i, address in enumerate(to)
    ]
    outcomes = send_emails(messages, 0.0)
    assert [type(o) for o in outcomes] == [
        Delivery,
        Delivery,
        smtplib.SMTPRecipientsRefused,
        Delivery,
    ]
    assert [rcpt for rcpt, _data in sink.received] == [[a] for a in to if a != to[2]]
    for (_rcpt, data), i in zip(sink.received, (0, 1, 3), strict=True):
        read = _read(data)
        assert read["Subject"] == f"Dobrý deň {i}"
        assert read["From"] == "Obchod <shop@example.com>"
        assert (
            read.get_content().replace("\r\n", "\n") == f"Line one\n.\n.starts with a period {i}\n"
        )
