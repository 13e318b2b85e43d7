"""Consent is obeyed (issue 10, item 15): everything that contacts customers goes through
`communications.services.message_send`, which asks `customers.selectors.contact_permission`.
This test finds every other place that sends mail or hands a message to a channel, so a new
campaign or survey that mails customers directly fails here."""

import re
from pathlib import Path

import rapport

ROOT = Path(rapport.__file__).resolve().parent
MAIL = re.compile(
    r"django\.core\.mail|\bsend_mail\(|\bsend_mass_mail\(|EmailMessage\(|EmailMultiAlternatives\("
    r"|\bget_connection\("
)
CHANNELS = re.compile(r"communications\.channels|\bbackend_for\(|\bsend_email\(")

# Who each of these mails: staff, never a customer (so no consent is involved) — or, for the
# channels module, the customer, but only when message_send hands it a message.
MAILS_STAFF_OR_IS_THE_CHANNEL = {
    "communications/channels.py": "the e-mail channel itself, called by message_send only",
    "staff/services.py": "invitations and password-reset mail to staff",
    "imports/notifications.py": "an import's result to the staff member who started it",
    "complaints/escalation.py": "an overdue complaint to the responsible manager",
    "outreach/services.py": "a campaign's test mail to the staff member's own address",
    "complaints/portal.py": (
        "the confirmation link of a complaint filed on the public page, to the address the "
        "sender just typed, when no customer has it (a customer's address goes through "
        "message_send)"
    ),
}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative or relative == "settings.py":
            continue  # settings.py names the mail backends; it sends nothing
        yield relative, path.read_text(encoding="utf-8")


def test_nothing_but_the_channels_and_staff_mail_sends_mail():
    senders = {name for name, text in _sources() if MAIL.search(text)}
    assert senders == set(MAILS_STAFF_OR_IS_THE_CHANNEL), (
        "Mail to customers must go through rapport.communications.services.message_send, which "
        f"checks consent; new senders: {sorted(senders - set(MAILS_STAFF_OR_IS_THE_CHANNEL))}"
    )


def test_only_message_send_hands_messages_to_a_channel():
    callers = {
        name
        for name, text in _sources()
        if CHANNELS.search(text) and name != "communications/channels.py"
    }
    assert callers == {"communications/services.py"}, callers
    services = (ROOT / "communications" / "services.py").read_text(encoding="utf-8")

    def body(name):
        found = services[services.index(f"def {name}(") :]
        return found[: found.index("\ndef ", 1)]

    # message_send is messages_send for one message; messages_send and messages_send_now (a
    # campaign's batch, written and sent at once) write through _write, which asks the one gate
    # for every message it writes (contact_permission is that gate for one customer).
    assert "messages_send(" in body("message_send")
    assert "_write(" in body("messages_send")
    assert "_write(" in body("messages_send_now")
    assert "contact_permissions(" in body("_write")
