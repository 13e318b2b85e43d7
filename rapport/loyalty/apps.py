from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "rapport.loyalty"
    label = "loyalty"
    verbose_name = _("Membership and loyalty")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.loyalty import registrations

        registrations.register()
