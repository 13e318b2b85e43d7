from django.db import models
from django.utils.translation import gettext_lazy as _


class TokenState(models.TextChoices):
    VALID = "valid", _("valid")
    USED = "used", _("already used")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")
    UNKNOWN = "unknown", _("unknown")
