from django.db import models
from django.utils.translation import gettext_lazy as _


class MomentKind(models.TextChoices):
    BIRTHDAY = "birthday", _("birthday")
    LUNAR_BIRTHDAY = "lunar_birthday", _("lunar birthday")
    ANNIVERSARY = "anniversary", _("customer anniversary")
    HOLIDAY = "holiday", _("holiday")
    EVENT = "event", _("event")


class SuggestedAction(models.TextChoices):
    CALL = "call", _("call")
    CARD = "card", _("send a card")
    GIFT = "gift", _("send a gift")
    COUPON = "coupon", _("send a coupon")


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS (exported list)")
    POST = "post", _("letter (exported list)")


class Schedule(models.TextChoices):
    ONCE = "once", _("once")
    BEFORE_BIRTHDAY = "before_birthday", _("N days before the birthday (lunar where kept)")
    AFTER_FIRST_PURCHASE = "after_first_purchase", _("N days after the first purchase")
    NO_PURCHASE = "no_purchase", _("after N days without a purchase")
    CHURN_RISES = "churn_rises", _("when the churn risk rises")


class ChurnThreshold(models.TextChoices):
    """The churn-risk band (of the analytics refresh) a rise must reach to trigger a campaign."""

    MEDIUM = "medium", _("medium or higher")
    HIGH = "high", _("high")


class CampaignKind(models.TextChoices):
    CAMPAIGN = "campaign", _("campaign")
    NEWSLETTER = "newsletter", _("newsletter")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", _("active")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    PAUSED = "paused", _("paused")


class Rsvp(models.TextChoices):
    PENDING = "pending", _("not answered")
    YES = "yes", _("coming")
    NO = "no", _("not coming")


class EventKind(models.TextChoices):
    GALA = "gala", _("thank-you gala")
    CLUB = "club", _("customer club")
    TRIP = "trip", _("trip")
    TRAINING = "training", _("training")


class OutreachEventType(models.TextChoices):
    INVITED = "invited", _("invited")
    RSVP = "rsvp", _("answered an invitation")
    ATTENDED = "attended", _("attended")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    COUPON_REDEEMED = "coupon_redeemed", _("redeemed a coupon")
    CAMPAIGN_SENT = "campaign_sent", _("campaign sent")
