import hashlib
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rapport.core.models import VersionedModel

if TYPE_CHECKING:
    from rapport.core.worktime import WorkCalendar

# The departments every organisation starts with (DOMAIN §6: complaints are routed by cause).
BUILTIN_DEPARTMENTS = {
    "customer_service": _("Customer service"),
    "logistics": _("Logistics"),
    "quality": _("Quality management"),
    "sales": _("Sales"),
}


def standard_hours() -> dict[str, list[list[str]]]:
    from rapport.core.worktime import STANDARD_HOURS

    return {day: [list(shift) for shift in shifts] for day, shifts in STANDARD_HOURS.items()}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A key for an integration; only its hash is stored, the key is shown once on creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        permissions = [("manage_staff", _("Can manage staff accounts and tokens"))]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def new_key() -> str:
        return "rpt_" + secrets.token_urlsafe(32)


class Department(VersionedModel):
    """A unit that work is routed to (logistics, quality management, sales, customer service):
    its members, its manager (who gets escalations), and its working hours for deadlines."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Leave empty for a built-in department to show its name in each language."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), blank=True, related_name="departments"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_departments",
    )
    email = models.EmailField(_("email"), blank=True)
    country = models.CharField(
        _("country for public holidays"), max_length=2, default="CN", blank=True
    )
    time_zone = models.CharField(_("time zone"), max_length=60, default="Asia/Shanghai")
    # {"mon": [["09:00", "12:00"], ["13:00", "18:00"]], …, "sat": [], "sun": []}
    working_hours = models.JSONField(_("working hours"), default=standard_hours)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        builtin = BUILTIN_DEPARTMENTS.get(self.code)
        return str(builtin) if builtin else self.code

    def calendar(self) -> "WorkCalendar":
        from rapport.core.worktime import WorkCalendar, parse_hours

        return WorkCalendar(
            parse_hours(self.working_hours), time_zone=self.time_zone, country=self.country
        )
