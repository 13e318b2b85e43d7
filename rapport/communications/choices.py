from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class InteractionKind(models.TextChoices):
    CALL = "call", _("call")
    VISIT = "visit", _("visit")
    EMAIL = "email", _("email")
    LETTER = "letter", _("letter")
    CHAT = "chat", _("chat")
    SOCIAL = "social", _("social media")
    EVENT = "event", _("event")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("from the customer")
    OUTBOUND = "outbound", _("to the customer")


class DetailKind(models.TextChoices):
    PREFERENCE = "preference", _("preference")
    FAMILY_EVENT = "family_event", _("family event")
    REQUEST = "request", _("request")
    CONCERN = "concern", _("concern")
    OTHER = "other", pgettext_lazy("kind of detail", "other")


class MessagePurpose(models.TextChoices):
    """Why a message goes out; it decides whether marketing consent is needed."""

    SERVICE = "service", _("service message")  # about the customer's own order, complaint, safety
    SURVEY = "survey", _("survey")
    MARKETING = "marketing", _("marketing")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    EXPORTED = "exported", _("handed to a provider")
    SUPPRESSED = "suppressed", _("not sent")
    FAILED = "failed", _("failed")
    BOUNCED = "bounced", _("bounced")
    COMPLAINED = "complained", _("marked as spam")
