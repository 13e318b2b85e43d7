from django.db import models
from django.utils.translation import gettext_lazy as _


class DedupeEventType(models.TextChoices):
    SEARCHED = "searched", _("duplicate search done")
    NOT_SAME = "not_same", _("marked as not the same person")
    MERGED = "merged", _("merged from the duplicate queue")
