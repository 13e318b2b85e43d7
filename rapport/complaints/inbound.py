"""Incoming mail: a customer's reply lands on the right complaint by its reference number.

`rapport mail receive` reads one RFC 822 message from standard input (any mail server can pipe to
it); the webhook (`POST /portal/complaints/inbound-mail/`, the raw message as the body or in the
form field "email") does the same for mail providers, when the request carries the shared secret
RAPPORT_INBOUND_MAIL_SECRET in the `X-Rapport-Secret` header.

A message whose subject or text names a complaint reference ("K26-000042") and comes from one of
that complaint's customer's addresses is added to the complaint (a "message" step; a complaint
waiting for the customer resumes). Anything else — an unknown sender, no reference, a reference
of somebody else's complaint — is kept as a draft for an agent (the "Incoming mail" list).
"""

from __future__ import annotations

import email
import hmac
import re
from email import policy
from email.utils import parseaddr

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from rapport.complaints.models import Complaint, InboundMail

REFERENCE = re.compile(r"\bK\d{2}-\d{6,}\b")
MAX_BYTES = 10 * 1024 * 1024


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return str(part.get_content())[:20_000]
    except (LookupError, UnicodeDecodeError):
        return ""


def receive(raw: bytes) -> InboundMail:
    """File one RFC 822 message; returns the row (attached to a complaint, or a draft)."""
    from rapport.customers.models import CustomerEmail

    message = email.message_from_bytes(raw, policy=policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    subject = str(message.get("Subject", ""))[:300]
    body = _text(message)  # type: ignore[arg-type]
    message_id = str(message.get("Message-ID", ""))[:300]
    if message_id:
        seen = InboundMail.objects.filter(message_id=message_id).first()
        if seen is not None:
            return seen  # the same message delivered twice
    owners = set(CustomerEmail.objects.filter(address=sender).values_list("customer_id", flat=True))
    found = REFERENCE.search(subject) or REFERENCE.search(body)
    complaint = None
    if found:
        candidate = Complaint.objects.filter(reference=found.group(0)).first()
        if candidate is not None and candidate.customer_id in owners:
            complaint = candidate
    mail = InboundMail.objects.create(
        received_at=timezone.now(),
        from_address=sender[:254],
        subject=subject,
        body=body,
        message_id=message_id,
        customer_id=complaint.customer_id if complaint else (min(owners) if owners else None),
        complaint=complaint,
        handled=complaint is not None,
    )
    if complaint is not None:
        from rapport.complaints.portal import _add_message

        _add_message(complaint, body or subject)
    mail.refused = _keep_attachments(message, mail, complaint)  # type: ignore[attr-defined]
    return mail


def _keep_attachments(message: email.message.EmailMessage, mail: InboundMail, complaint) -> list:  # noqa: ANN001
    """The message's attached files, type- and size-checked as uploads are, kept with the
    complaint (or with the draft, until a complaint is recorded from it). Returns the names of
    the files refused, and notes them on the mail for the agent."""
    from django.core.exceptions import ValidationError
    from django.core.files.base import ContentFile

    from rapport.complaints.attachments import attachment_add
    from rapport.core.actors import SystemActor

    refused = []
    for part in message.iter_attachments():
        name = (part.get_filename() or "attachment")[-200:]
        try:
            data = part.get_content()
        except (LookupError, UnicodeDecodeError, ValueError):
            data = b""
        if isinstance(data, str):
            data = data.encode()
        if not isinstance(data, bytes):  # an attached message, say
            refused.append(name)
            continue
        try:
            attachment_add(
                by=SystemActor("mail"),
                complaint=complaint,
                upload=ContentFile(data, name=name),
                from_customer=True,
                mail=mail,
            )
        except ValidationError:
            refused.append(name)
    if refused:
        note = _("Attachments not kept (only photos and PDF scans up to 10 MB): %(names)s") % {
            "names": ", ".join(refused)
        }
        InboundMail.objects.filter(pk=mail.pk).update(body=f"{mail.body}\n\n[{note}]".strip())
    return refused


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    secret = getattr(settings, "RAPPORT_INBOUND_MAIL_SECRET", "")
    given = request.headers.get("X-Rapport-Secret", "")
    if not secret or not hmac.compare_digest(secret.encode(), given.encode()):
        return JsonResponse({"detail": "forbidden"}, status=403)
    raw = request.POST.get("email", "").encode() if request.POST.get("email") else request.body
    if not raw or len(raw) > MAX_BYTES:
        return JsonResponse({"detail": "no message"}, status=400)
    mail = receive(raw)
    return JsonResponse(
        {
            "id": mail.pk,
            "complaint": mail.complaint.reference if mail.complaint else None,
            "attachments": mail.attachments.count(),
            "refused": getattr(mail, "refused", []),
        },
        status=202,
    )
