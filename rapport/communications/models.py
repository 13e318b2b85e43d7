"""The communication log and the details customers mentioned, which everyone should see first."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.communications.choices import (
    DetailKind,
    Direction,
    InteractionKind,
    MessagePurpose,
    MessageState,
)
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


@customer_relation(
    "customer",
    merge=Repoint(),
    export=Export(
        "created_at",
        "channel",
        "purpose",
        "to_address",
        "subject",
        "body",
        "state",
        "sent_at",
        label=_("messages sent"),
    ),
    erase=Erase.redacting(to_address="", subject="", body="", html_body=""),
)
class OutboundMessage(TimeStampedModel):
    """One message to one customer on one channel: written (claimed by its idempotency key)
    before anything is sent, so a retried or doubled job finds it and never sends it twice."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,  # served by message_customer_idx
    )
    channel = models.CharField(_("channel"), max_length=10)
    purpose = models.CharField(_("purpose"), max_length=10, choices=MessagePurpose.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    to_address = models.CharField(_("to"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"), blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=MessageState.choices, default=MessageState.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("provider id"), max_length=200, blank=True)
    # What the message is about ("complaints.complaint", 42): the app that sent it shows it there.
    source_type = models.CharField(max_length=60, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="message_customer_idx"),
            models.Index(fields=["source_type", "source_id"], name="message_source_idx"),
            models.Index(fields=["state", "created_at"], name="message_state_idx"),
            models.Index(fields=["provider_id"], name="message_provider_idx"),
        ]

    def __str__(self) -> str:
        return self.subject or f"{self.channel} {self.pk}"
