"""The enumerations of surveys: question kinds, attributes, triggers, gap labels, states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class QuestionKind(models.TextChoices):
    SCALE_5 = "scale_5", _("scale 1–5")
    SCALE_7 = "scale_7", _("scale 1–7")
    NPS = "nps", _("0–10 likelihood to recommend")
    SINGLE = "single", _("single choice")
    MULTIPLE = "multiple", _("multiple choice")
    TEXT = "text", _("free text")
    PAIRED = "paired", _("expectation and experience")


class Measure(models.TextChoices):
    """What a scale question measures for the dashboard's headline figures."""

    NONE = "", _("nothing in particular")
    CSAT = "csat", _("overall satisfaction (CSAT)")
    EFFORT = "effort", _("customer effort")


class Attribute(models.TextChoices):
    """The attributes a paired question asks about; an organisation may name its own."""

    QUALITY = "quality", _("quality")
    PRICE = "price", _("price")
    DELIVERY = "delivery", _("delivery")
    STAFF = "staff", _("staff")
    AFTER_SALES = "after_sales", _("after-sales service")


class Trigger(models.TextChoices):
    MANUAL = "manual", _("sent by hand")
    ORDER_DELIVERED = "order_delivered", _("after an order is delivered")
    SERVICE_VISIT = "service_visit", _("after a service visit")
    COMPLAINT_CLOSED = "complaint_closed", _("after a complaint is closed")
    SEGMENT = "segment", _("to a saved customer filter")


class GapLabel(models.TextChoices):
    """The documents' definition: perceived performance against expectation."""

    DISSATISFIED = "dissatisfied", _("dissatisfied")
    SATISFIED = "satisfied", _("satisfied")
    DELIGHTED = "delighted", _("delighted")


class InvitationState(models.TextChoices):
    SENT = "sent", _("sent")
    NOT_ASKED = "not_asked", _("not asked (no consent or address)")
    ANSWERED = "answered", _("answered")
    WITHDRAWN = "withdrawn", _("withdrawn")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class IdeaStatus(models.TextChoices):
    NEW = "new", _("new")
    UNDER_REVIEW = "under_review", _("under review")
    PLANNED = "planned", _("planned")
    DONE = "done", _("done")
    REJECTED = "rejected", _("rejected")


class Theme(models.TextChoices):
    """What a suggestion or comment is about; it decides the department it is routed to."""

    PRODUCT = "product", _("product")
    PRICE = "price", _("price")
    DELIVERY = "delivery", _("delivery")
    SERVICE = "service", _("service")
    STAFF = "staff", _("staff")
    WEBSITE = "website", _("website and ordering")
    OTHER = "other", _("other")
