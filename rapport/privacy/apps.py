from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "rapport.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.privacy import panels, signals

        signals.connect()
        registry.register_urls("privacy/", "rapport.privacy.urls")
        registry.register_api_router("rapport.privacy.api:router")
        registry.register_nav(
            registry.NavItem(
                _("Data reads"), "privacy:reads", "privacy.view_personaldataread", order=95
            )
        )
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="privacy_erased",
                template="privacy/_erased_panel.html",
                context=panels.erased_panel,
                permission="customers.view_customer",
                slot="top",
                order=1,
            )
        )
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="privacy",
                template="privacy/_customer_panel.html",
                context=panels.privacy_panel,
                permission="privacy.export_person",
                slot="aside",
                order=90,
            )
        )
        registry.register_role_permissions(
            {
                "administrator": {
                    "extra": ("privacy.erase_customer", "privacy.export_person"),
                },
                "manager": {
                    "privacy.personaldataread": ("view",),
                    "privacy.erasure": ("view",),
                    "extra": ("privacy.erase_customer", "privacy.export_person"),
                },
            }
        )
