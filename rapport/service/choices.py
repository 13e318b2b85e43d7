"""The enumerations of after-sales service."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    DELIVERY = "delivery", _("delivery")
    INSTALLATION = "installation", _("installation")
    REPAIR = "repair", _("repair")
    MAINTENANCE = "maintenance", _("maintenance")
    TRAINING = "training", _("usage training")
    RETURN = "return", _("return")
    EXCHANGE = "exchange", _("exchange")


class RequestState(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class VisitState(models.TextChoices):
    DUE = "due", _("due (not yet scheduled)")
    SCHEDULED = "scheduled", _("scheduled")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class CommitmentState(models.TextChoices):
    OPEN = "open", _("open")
    KEPT = "kept", _("kept")
    BROKEN = "broken", _("broken")


class Remedy(models.TextChoices):
    REPAIR = "repair", _("repair")
    EXCHANGE = "exchange", _("exchange")
    REFUND = "refund", _("refund")


class RecallState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SENT = "sent", _("sent")
    CLOSED = "closed", _("closed")


class ArticleKind(models.TextChoices):
    USE = "use", _("use")
    CARE = "care", _("care")
    MAINTENANCE = "maintenance", _("maintenance")
    FAQ = "faq", _("frequently asked question")
