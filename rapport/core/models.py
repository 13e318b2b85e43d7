"""Shared base pieces: timestamps, optimistic versioning, the append-only change log, events."""

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rapport.core.choices import ChangeAction
from rapport.core.relations import Erase, Export, Repoint, customer_relation


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record two people may edit at once: `version` turns a lost update into a conflict."""

    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export(
        "time", "user_name", "action", "object_repr", "changes", label=_("history of changes")
    ),
    erase=Erase.redacting(object_repr="", changes={}),
)
class ObjectChange(models.Model):
    """One create, update or delete of business data: who, when, each field before and after.

    `customer_id` is a plain column (not a foreign key) so a customer's history outlives them.
    """

    time = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(_("user"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    # Served by core_change_object_idx (content_type, object_id, -time): no index of its own.
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    object_id = models.BigIntegerField(_("object"))
    object_repr = models.CharField(_("record"), max_length=200)
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-time"], name="core_change_object_idx"
            ),
            models.Index(fields=["customer_id", "-time"], name="core_change_customer_idx"),
            models.Index(fields=["-time"], name="core_change_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"


class Event(models.Model):
    """Base of the typed event rows: one per thing that happens to a record (Saleor's OrderEvent).

    A concrete event model adds what the event belongs to (a foreign key, or a plain `customer_id`
    column that outlives the customer) and `SENTENCES`: for each type, one whole translated sentence
    with `%(name)s` placeholders filled from `parameters`. Write events with
    `rapport.core.events.emit`, in the same transaction as the change they describe; notifications
    run only after it commits.
    """

    SENTENCES: dict[str, Any] = {}

    time = models.DateTimeField(_("time"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(_("user"), max_length=150, blank=True)
    type = models.CharField(_("what happened"), max_length=40)
    parameters = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.sentence()

    def display_parameters(self) -> dict[str, Any]:
        """`parameters` as the sentence shows them (labels instead of codes); override to map."""
        return dict(self.parameters)

    def sentence(self) -> str:
        """What happened, as one sentence in the active language."""
        template = self.SENTENCES.get(self.type)
        if template is None:
            return self.type
        try:
            return str(template) % self.display_parameters()
        except (KeyError, TypeError, ValueError):  # an old row without a parameter added later
            return str(template)
