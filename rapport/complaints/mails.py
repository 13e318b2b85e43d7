"""What the customer is told, in their language, through message_send (the one function that
contacts customers: consent rule, idempotent by key, sent after the commit)."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from rapport.core.actors import Actor

KINDS = ("acknowledgement", "not_upheld", "decision", "recourse", "reopened")


def _texts(kind: str, complaint: Any, extra: dict[str, str]) -> tuple[str, str]:
    ref = {"reference": complaint.reference, **extra}
    if kind == "acknowledgement":
        return (
            _("We received your complaint %(reference)s") % ref,
            _(
                "Thank you for telling us. We are looking into your complaint and will come back "
                "to you. Please quote the reference %(reference)s in any reply. You can follow "
                "your complaint and add messages here: %(link)s"
            )
            % ref,
        )
    if kind == "not_upheld":
        return (
            _("About your complaint %(reference)s") % ref,
            _(
                "Thank you for raising this with us. We have looked into it carefully and found "
                "no fault on our side this time: %(reason)s If anything remains unclear, simply "
                "reply to this message; we are glad to explain. Reference: %(reference)s."
            )
            % ref,
        )
    if kind == "decision":
        return (
            _("Your complaint %(reference)s has been resolved") % ref,
            _(
                "We have carried out the following remedy: %(remedy)s. Please tell us in three "
                "short questions whether this solved your problem: %(link)s"
            )
            % ref,
        )
    if kind == "recourse":
        return (
            _("Your complaint %(reference)s: what you can do next") % ref,
            _(
                "We have recorded that you do not accept our decision on complaint "
                "%(reference)s. The complaint stays open and a manager will review it. If you "
                "remain dissatisfied you may turn to the consumer protection authority or a "
                "mediation service, or to the courts."
            )
            % ref,
        )
    return (
        _("Your complaint %(reference)s has been reopened") % ref,
        _("We have reopened your complaint %(reference)s and will come back to you.") % ref,
    )


def send(complaint: Any, kind: str, *, by: Actor, key_suffix: str = "", **extra: str) -> Any:
    """Send one message of `kind` about the complaint, once per (complaint, kind, suffix)."""
    from rapport.communications.services import message_send

    language = complaint.language or complaint.customer.preferred_language or "en"
    with translation.override(language):
        subject, body = _texts(kind, complaint, {k: str(v) for k, v in extra.items()})
    return message_send(
        customer_id=complaint.customer_id,
        channel="email",
        purpose="service",
        subject=subject,
        body=body,
        idempotency_key=f"complaint:{complaint.pk}:{kind}:{key_suffix}",
        by=by,
        language=language,
        source=("complaints.complaint", complaint.pk),
    )
