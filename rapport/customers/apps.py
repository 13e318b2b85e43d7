from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "rapport.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction
        from rapport.customers.choices import ConsentMethod
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
        registry.register_change_fields(
            "customers",
            "marketingconsent",
            {
                "consent:": (_consent_label, {}),
                "consent_method": (_("how consent was given"), dict(ConsentMethod.choices)),
            },
        )
        from rapport.customers import panels

        registry.register_customer_panel(
            registry.CustomerPanel(
                name="merges",
                template="customers/_merges_panel.html",
                context=panels.merges_panel,
                permission="customers.merge_customer",
                slot="aside",
                order=90,
            )
        )
        _register_import_export(registry)
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


def _register_import_export(registry) -> None:  # noqa: ANN001
    from rapport.customers import exporting
    from rapport.customers.importing.columns import CUSTOMER_COLUMNS, ORGANISATION_COLUMNS

    for order, (kind, label, importer, view, columns, export, queryset, rows) in enumerate(
        (
            (
                "customers",
                _("customers"),
                "rapport.customers.importing.customers:CustomerImporter",
                "customers.view_customer",
                CUSTOMER_COLUMNS,
                exporting.CUSTOMER_EXPORT,
                exporting.customer_queryset,
                exporting.customer_rows,
            ),
            (
                "organisations",
                _("organisations"),
                "rapport.customers.importing.organisations:OrganisationImporter",
                "customers.view_organisation",
                ORGANISATION_COLUMNS,
                exporting.ORGANISATION_EXPORT,
                exporting.organisation_queryset,
                exporting.organisation_rows,
            ),
        )
    ):
        registry.register_import_kind(
            registry.ImportKindSpec(
                kind=kind,
                label=label,
                importer=importer,
                targets=lambda columns=columns: columns,
                view_permission=view,
                order=order,
            )
        )
        registry.register_export_kind(
            registry.ExportKindSpec(
                kind=kind,
                label=label,
                columns=export,
                queryset=queryset,
                rows=rows,
                view_permission=view,
                order=order,
            )
        )


def _consent_label(channel: str) -> str:
    from rapport.customers.choices import Channel

    label = dict(Channel.choices).get(channel, channel)
    return _("Consent to marketing by %(channel)s") % {"channel": label}
