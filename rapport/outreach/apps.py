from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "rapport.outreach"
    label = "outreach"
    verbose_name = _("Keeping in touch")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from rapport.outreach import registrations

        registrations.register()
