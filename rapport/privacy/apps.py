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
        from rapport.privacy.selectors import consent_filter_choices, filter_by_consent_value

        registry.register_customer_filter(
            registry.CustomerFilter(
                name="consent",
                label=_("Consent"),
                any_label=_("Any consent"),
                apply=filter_by_consent_value,
                choices=consent_filter_choices,
                permission="customers.view_customer",
                description="Consent on one channel: `<channel>:granted`, `<channel>:withdrawn` "
                "or `<channel>:unknown` (never asked), e.g. `email:granted`; channels: "
                "phone, sms, email, post, wechat, visit.",
                order=70,
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
