"""What the privacy app records: each erasure (without the erased data) and each read of personal
data in bulk (an access export, a page of the customer list through the API, an export file)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.relations import Erase, Export, Repoint, customer_relation
from rapport.privacy.choices import ReadKind


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("erased_at", "erased_by_name", "reason", label=_("erasures")),
    erase=Erase.keep("the record that the person's data was erased, when, by whom and why"),
)
class Erasure(models.Model):
    """A customer's personal data was erased on request: who, when, why. Holds nothing erased."""

    customer_id = models.BigIntegerField(_("customer"))
    number = models.CharField(_("customer number"), max_length=20)
    erased_at = models.DateTimeField(_("erased at"), default=timezone.now)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_by_name = models.CharField(_("erased by"), max_length=150, blank=True)
    reason = models.TextField(_("reason"))
    # {table label: rows deleted or redacted}: what the erasure did, counts only
    report = models.JSONField(_("what was erased"), default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        permissions = [
            ("erase_customer", _("Can erase a customer's personal data")),
            ("export_person", _("Can export everything held about a customer")),
        ]
        indexes = [models.Index(fields=["customer_id", "-erased_at"], name="privacy_erasure_idx")]

    def __str__(self) -> str:
        return self.number


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("time", "user_name", "kind", label=_("reads of the data held about you")),
    erase=Erase.keep("who read the person's data, and when, stays as the record of access"),
)
class PersonalDataRead(models.Model):
    """One read of personal data in bulk: who, when, what (the filter), how many records."""

    time = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(_("user"), max_length=150, blank=True)
    kind = models.CharField(_("what was read"), max_length=20, choices=ReadKind.choices)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    count = models.PositiveIntegerField(_("records"), default=0)

    class Meta:
        verbose_name = _("read of personal data")
        verbose_name_plural = _("reads of personal data")
        indexes = [
            models.Index(fields=["-time"], name="privacy_read_time_idx"),
            models.Index(fields=["user", "kind", "-time"], name="privacy_read_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_name} {self.kind} {self.count}"
