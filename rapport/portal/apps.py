from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "rapport.portal"
    label = "portal"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from rapport.core import registry

        registry.register_urls("portal/", "rapport.portal.urls")
