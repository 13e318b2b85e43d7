from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "rapport.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from rapport.analytics import panels
        from rapport.analytics.choices import Segment
        from rapport.core import registry

        registry.register_customer_panel(
            registry.CustomerPanel(
                name="analytics_card",
                template="analytics/_customer_card.html",
                context=panels.card_panel,
                permission="analytics.view_customerscore",
                slot="aside",
                order=10,
            )
        )
        registry.register_customer_filter(
            registry.CustomerFilter(
                name="segment",
                label=_("Segment"),
                any_label=_("All segments"),
                apply=panels.filter_by_segment,
                choices=lambda: list(Segment.choices),
                permission="analytics.view_customerscore",
                description="RFM segment, e.g. champions, at_risk.",
                order=50,
            )
        )
        registry.register_urls("analytics/", "rapport.analytics.urls")
        registry.register_api_router("rapport.analytics.api:router")
        registry.register_nav(
            registry.NavItem(_("Analytics"), "analytics:index", "analytics.view_report", order=60)
        )
