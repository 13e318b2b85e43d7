from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "rapport.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction
        from rapport.customers.models import Customer, MarketingConsent
        from rapport.customers.selectors import event_timeline

        # Merges and consents are told on the timeline by their events, in words.
        timeline.register(
            "event",
            event_timeline,
            covers=((Customer, ChangeAction.MERGE), (MarketingConsent, "*")),
        )
        registry.register_change_titles(
            "customers",
            "customer",
            {
                ChangeAction.CREATE: _("Customer created"),
                ChangeAction.UPDATE: _("Customer details changed"),
                ChangeAction.DELETE: _("Customer deleted"),
                ChangeAction.MERGE: _("Customer records merged"),
            },
        )
        registry.register_change_titles(
            "customers",
            "organisationcontact",
            {
                ChangeAction.CREATE: _("Added as a contact person of an organisation"),
                ChangeAction.UPDATE: _("Role at an organisation changed"),
                ChangeAction.DELETE: _("Removed as a contact person of an organisation"),
            },
        )
        registry.register_change_titles(
            "customers",
            "marketingconsent",
            {
                ChangeAction.CREATE: _("Marketing consent recorded"),
                ChangeAction.UPDATE: _("Marketing consent changed"),
                ChangeAction.DELETE: _("Marketing consent removed"),
            },
        )
        registry.register_urls("customers/", "rapport.customers.urls")
        registry.register_api_router("rapport.customers.api:router")
        registry.register_api_router("rapport.customers.api_merge:router")
        registry.register_nav(
            registry.NavItem(_("Customers"), "customers:list", "customers.view_customer", order=10)
        )
        registry.register_nav(
            registry.NavItem(
                _("Organisations"),
                "customers:organisation_list",
                "customers.view_organisation",
                order=20,
            )
        )
