"""Private links and one-time sign-in codes: how a customer gets in without a password.

A private link is for one customer, one purpose and one record; it expires, it can be revoked, and
a one-time link works once. Only the hash of its token is stored, so a copy of the database gives
nobody a working link. A sign-in code (six digits, fifteen minutes, five tries) is sent to an
address the customer already gave us; the answer never says whether an address is known.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.actors import PORTAL, Actor, actor_user
from rapport.core.exceptions import ValidationError
from rapport.portal.choices import TokenState
from rapport.portal.models import PortalCode, PortalLink, hash_secret

LINK_LIFETIME = timedelta(days=30)
CODE_LIFETIME = timedelta(minutes=15)
CODE_ATTEMPTS = 5


class LinkInvalid(Exception):
    """The link cannot be used: unknown, expired, revoked or used already (`state`)."""

    def __init__(self, state: TokenState) -> None:
        self.state = state
        super().__init__(str(state.label))


def link_issue(
    *,
    customer_id: int,
    purpose: str,
    by: Actor,
    target: tuple[str, int] | None = None,
    lifetime: timedelta = LINK_LIFETIME,
    single_use: bool = True,
) -> tuple[PortalLink, str]:
    """A new private link; returns it and its token (shown or mailed once, never stored)."""
    raw = secrets.token_urlsafe(32)
    link = PortalLink.objects.create(
        customer_id=customer_id,
        purpose=purpose,
        target_type=target[0] if target else "",
        target_id=target[1] if target else None,
        token_hash=hash_secret(raw),
        single_use=single_use,
        expires_at=timezone.now() + lifetime,
        created_by=actor_user(by),
    )
    return link, raw


def link_url(raw: str) -> str:
    """The link's full address, for a message."""
    return settings.RAPPORT_PUBLIC_URL + reverse("portal:link", args=[raw])


def link_state(link: PortalLink | None) -> TokenState:
    if link is None:
        return TokenState.UNKNOWN
    if link.revoked_at is not None:
        return TokenState.REVOKED
    if link.expires_at <= timezone.now():
        return TokenState.EXPIRED
    if link.single_use and link.used_at is not None:
        return TokenState.USED
    return TokenState.VALID


def link_resolve(raw: str, *, purpose: str | None = None) -> PortalLink:
    """The link a token stands for, if it can still be used (for `purpose`, if given); else
    LinkInvalid. Nothing is consumed: showing a form does not use a one-time link up."""
    link = (
        PortalLink.objects.select_related("customer")
        .filter(token_hash=hash_secret(raw or ""))
        .first()
    )
    if link is not None and purpose is not None and link.purpose != purpose:
        link = None
    state = link_state(link)
    if state != TokenState.VALID:
        raise LinkInvalid(state)
    assert link is not None
    return link


def link_use(raw: str, *, purpose: str) -> PortalLink:
    """Use the link once (the submit of the form it opened); a one-time link used by two requests
    at once works for one of them."""
    link = link_resolve(raw, purpose=purpose)
    now = timezone.now()
    usable = Q(pk=link.pk, revoked_at__isnull=True, expires_at__gt=now)
    if link.single_use:
        usable &= Q(used_at__isnull=True)
    if not PortalLink.objects.filter(usable).update(used_at=now, uses=F("uses") + 1):
        link.refresh_from_db()
        raise LinkInvalid(link_state(link))
    link.used_at, link.uses = now, link.uses + 1
    return link


def link_revoke(*, link_id: int, by: Actor) -> PortalLink:
    PortalLink.objects.filter(pk=link_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return PortalLink.objects.get(pk=link_id)


def links_revoke_for(*, target: tuple[str, int], by: Actor) -> int:
    """Revoke every link to a record (a complaint closed for good, a customer erased)."""
    return PortalLink.objects.filter(
        target_type=target[0], target_id=target[1], revoked_at__isnull=True
    ).update(revoked_at=timezone.now())


# Sign-in codes ---------------------------------------------------------------------------------


def code_request(*, email: str, language: str = "") -> None:
    """Send a sign-in code to `email` if a customer has that address; otherwise do nothing, and
    take the same time either way (the caller shows the same answer)."""
    from rapport.communications.services import message_send
    from rapport.customers.models import CustomerEmail

    address = (email or "").strip().lower()
    holder = (
        CustomerEmail.objects.filter(address=address)
        .order_by("customer_id")
        .values_list("customer_id", flat=True)
        .first()
    )
    if holder is None:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        row = PortalCode.objects.create(
            customer_id=holder,
            code_hash=hash_secret(f"{holder}:{code}"),
            expires_at=timezone.now() + CODE_LIFETIME,
        )
        with translation.override(language or None):
            message_send(
                customer_id=holder,
                channel="email",
                purpose="service",
                subject=_("Your sign-in code: %(code)s") % {"code": code},
                body=_(
                    "Your code to sign in to the customer portal is %(code)s. It works once, "
                    "for 15 minutes. If you did not ask for it, you can ignore this message."
                )
                % {"code": code},
                idempotency_key=f"portal-code:{row.pk}",
                by=PORTAL,
                language=language,
            )


def code_verify(*, email: str, code: str) -> int | None:
    """The customer id if `code` is the latest unexpired code sent to `email`, else None. Each
    wrong try counts; after five, that code is dead."""
    from rapport.customers.models import CustomerEmail

    address = (email or "").strip().lower()
    holders = list(
        CustomerEmail.objects.filter(address=address).values_list("customer_id", flat=True)
    )
    if not holders:
        return None
    with transaction.atomic():
        row = (
            PortalCode.objects.select_for_update()
            .filter(
                customer_id__in=holders,
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                attempts__lt=CODE_ATTEMPTS,
            )
            .order_by("-created_at")
            .first()
        )
        if row is None:
            return None
        if not secrets.compare_digest(
            row.code_hash, hash_secret(f"{row.customer_id}:{(code or '').strip()}")
        ):
            PortalCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            return None
        PortalCode.objects.filter(pk=row.pk).update(used_at=timezone.now())
        return row.customer_id


def check_not_bot(data: dict, *, started_at: float | None, now: float) -> None:
    """Spam protection for public forms: a hidden field people leave empty, and a form filled
    faster than a person can is refused."""
    if data.get("website"):
        raise ValidationError(_("The form could not be sent. Please try again."))
    if started_at is None or now - started_at < 2:
        raise ValidationError(_("The form could not be sent. Please try again."))
