from django.db import models
from django.utils.translation import gettext_lazy as _


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
    OTHER = "other", _("other")
