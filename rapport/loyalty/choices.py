from django.db import models
from django.utils.translation import gettext_lazy as _


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")
    SPEND = "spend", _("spent")
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjusted")


class LoyaltyEventType(models.TextChoices):
    TIER_CHANGED = "tier_changed", _("tier changed")
    REFERRED = "referred", _("referred")
    REFERRAL_REWARDED = "referral_rewarded", _("referral rewarded")
