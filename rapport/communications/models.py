"""The communication log and the details customers mentioned, which everyone should see first."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.communications.choices import DetailKind, Direction, InteractionKind
from rapport.core.models import TimeStampedModel
from rapport.core.relations import Erase, Export, Repoint, customer_relation


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "occurred_at", "kind", "direction", "subject", "summary", label=_("interactions")
    ),
    erase=Erase.redacting(subject="", summary="—"),
)
class Interaction(TimeStampedModel):
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
        db_index=False,  # served by interaction_customer_idx
    )
    organisation = models.ForeignKey(
        "customers.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=InteractionKind.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    summary = models.TextField(_("summary"))

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_customer_idx")
        ]

    def __str__(self) -> str:
        return self.subject or self.summary[:60]


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export("created_at", "kind", "text", "relevant_on", label=_("remembered details")),
    erase=Erase.delete(),
)
class RememberedDetail(TimeStampedModel):
    """Something the customer mentioned — a preference, a family event, a request."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="remembered_details",
        db_index=False,  # served by detail_customer_pinned_idx
    )
    interaction = models.ForeignKey(
        Interaction,
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="details",
    )
    kind = models.CharField(
        _("kind"), max_length=15, choices=DetailKind.choices, default=DetailKind.OTHER
    )
    text = models.CharField(_("detail"), max_length=500)
    relevant_on = models.DateField(_("relevant on"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    archived = models.BooleanField(_("archived"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("remembered detail")
        verbose_name_plural = _("remembered details")
        indexes = [
            # remembered_details(): a customer's active details, pinned first, newest first
            models.Index(
                fields=["customer", "archived", "-pinned", "-created_at"],
                name="detail_customer_pinned_idx",
            )
        ]

    def __str__(self) -> str:
        return self.text
