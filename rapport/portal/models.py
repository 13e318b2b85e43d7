"""What lets a customer in without a password: private links (one-time or lasting, each for one
purpose and one record) and one-time codes sent by email. Only hashes are stored."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.relations import Erase, Export, Repoint, customer_relation
from rapport.portal.registry import purpose_label


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "purpose",
        "created_at",
        "expires_at",
        "used_at",
        label=_("private links"),
        values={"purpose": lambda code: purpose_label(code)},
    ),
    erase=Erase.delete(),
)
class PortalLink(models.Model):
    """A private link for one customer, one purpose ("complaint", "survey", "rsvp",
    "unsubscribe" — each app registers its own) and one record of that app."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_links"
    )
    purpose = models.CharField(_("purpose"), max_length=40)
    target_type = models.CharField(max_length=60, blank=True)  # "complaints.complaint"
    target_id = models.BigIntegerField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    single_use = models.BooleanField(_("one-time"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("times used"), default=0)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("private link")
        verbose_name_plural = _("private links")
        indexes = [models.Index(fields=["target_type", "target_id"], name="portal_link_target_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export.nothing("one-time sign-in codes hold nothing but a hash and a time"),
    erase=Erase.delete(),
)
class PortalCode(models.Model):
    """A one-time sign-in code sent to the customer's email address."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["customer", "-created_at"], name="portal_code_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"
