from typing import Any

from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


def _apply_consent(channel: str, queryset: Any, value: str) -> Any:
    from rapport.privacy.selectors import filter_by_consent

    return filter_by_consent(queryset, channel, value)


class PrivacyConfig(AppConfig):
    name = "rapport.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.privacy import panels, signals

        signals.connect()
        from rapport.core.relations import PersonalDataHolder, register_personal_data_holder

        for name, label in (
            ("sent_mail_files", _("copies of mail sent, kept as files")),
            ("admin_log", _("the admin site's log of edits")),
        ):
            register_personal_data_holder(
                PersonalDataHolder(
                    name=name,
                    label=label,
                    export=f"rapport.privacy.holders:{name.removesuffix('_files')}_export",
                    erase=f"rapport.privacy.holders:{name.removesuffix('_files')}_erase",
                )
            )
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
        # Consent per channel: a filter of the customer list, its exports and GET /customers.
        from functools import partial

        from rapport.customers.choices import Channel
        from rapport.privacy.selectors import consent_filter_choices

        for order, (channel, label) in enumerate(Channel.choices):
            registry.register_customer_filter(
                registry.CustomerFilter(
                    name=f"consent_{channel}",
                    label=format_lazy(_("Consent: {channel}"), channel=label),
                    any_label=format_lazy(_("Consent: {channel} — any"), channel=label),
                    apply=partial(_apply_consent, channel),
                    choices=consent_filter_choices,
                    permission="customers.view_customer",
                    description=f"Consent to contact by {channel}: granted, withdrawn, unknown.",
                    order=70 + order,
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
