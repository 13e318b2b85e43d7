from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Gender(models.TextChoices):
    UNKNOWN = "", _("not stated")
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", pgettext_lazy("gender", "other")


class IncomeBand(models.TextChoices):
    UNKNOWN = "", _("not stated")
    LOW = "low", _("low")
    LOWER_MIDDLE = "lower_middle", _("lower middle")
    MIDDLE = "middle", _("middle")
    UPPER_MIDDLE = "upper_middle", _("upper middle")
    HIGH = "high", _("high")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("email")
    POST = "post", _("post")
    WECHAT = "wechat", _("WeChat")
    VISIT = "visit", _("in person")


class CustomerSource(models.TextChoices):
    UNKNOWN = "", _("unknown")
    WALK_IN = "walk_in", _("walk-in")
    WEBSITE = "website", _("website")
    REFERRAL = "referral", _("referral")
    EVENT = "event", _("event")
    ADVERTISING = "advertising", _("advertising")
    SOCIAL = "social", _("social media")
    SALES = "sales", _("sales team")
    IMPORT = "import", _("import")
    OTHER = "other", pgettext_lazy("source", "other")


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", _("mobile")
    LANDLINE = "landline", _("landline")
    HOME = "home", _("home")
    WORK = "work", _("work")
    OTHER = "other", pgettext_lazy("phone", "other")


class AddressKind(models.TextChoices):
    HOME = "home", _("home")
    WORK = "work", _("work")
    DELIVERY = "delivery", _("delivery")
    BILLING = "billing", _("billing")


class ConsentMethod(models.TextChoices):
    WEB_FORM = "web_form", _("web form")
    PAPER = "paper", _("signed paper form")
    PHONE = "phone", _("by phone")
    IN_PERSON = "in_person", _("in person")
    EMAIL = "email", _("by email")
    IMPORT = "import", _("imported")
    PORTAL = "portal", _("self-service portal")


class BuyingRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    PURCHASER = "purchaser", _("purchaser")
    USER = "user", _("user")
    FINANCE = "finance", _("finance")
    OTHER = "other", pgettext_lazy("buying role", "other")


class Language(models.TextChoices):
    UNKNOWN = "", _("not stated")
    EN = "en", _("English")
    ZH_HANS = "zh-hans", _("Simplified Chinese")
    ZH_HANT = "zh-hant", _("Traditional Chinese")
    SK = "sk", _("Slovak")


class CustomerEventType(models.TextChoices):
    MERGED = "merged", _("records merged")
    MERGED_AWAY = "merged_away", _("merged into another record")
    MERGE_UNDONE = "merge_undone", _("merge undone")
    CONSENT_GIVEN = "consent_given", _("consent given")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("consent withdrawn")
