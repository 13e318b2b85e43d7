from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "rapport.recommendations"
    label = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.recommendations import api_schemas, panels

        registry.register_customer_panel(
            registry.CustomerPanel(
                name="recommendations",
                template="recommendations/_customer_panel.html",
                context=panels.customer_panel,
                permission="recommendations.view_recommendation",
                slot="aside",
                order=15,
            )
        )
        registry.register_customer_api_section(
            registry.CustomerApiSection(
                name="recommendations",
                schema=list[api_schemas.RecommendationOut] | None,
                resolve=panels.customer_section,
                permission="recommendations.view_recommendation",
                default=None,
                description="Products to offer next, best first, each with its reason "
                "(null without the permission).",
                order=60,
            )
        )
        registry.register_customer_filter(
            registry.CustomerFilter(
                name="recommended_product",
                label=_("Should be offered"),
                any_label=_("Any product"),
                apply=panels.filter_by_recommended_product,
                choices=None,
                permission="recommendations.view_recommendation",
                description="A product's SKU or id: customers to whom it is recommended.",
                order=60,
            )
        )
        from rapport.recommendations import merge_fields

        registry.register_merge_field(
            registry.MergeField(
                name="recommended_products",
                label=_("products we recommend"),
                values=merge_fields.recommended_products,
                description="The customer's best recommended products, best first.",
                order=60,
            )
        )
        registry.register_urls("recommendations/", "rapport.recommendations.urls")
        registry.register_api_router("rapport.recommendations.api:router")
        registry.register_nav(
            registry.NavItem(
                _("Recommendations"),
                "recommendations:index",
                "recommendations.view_evaluation",
                order=62,
            )
        )
        view = ("view",)
        registry.register_role_permissions(
            {
                "manager": {
                    "recommendations.recommendation": view,
                    "recommendations.evaluation": view,
                },
                "agent": {"recommendations.recommendation": view},
                "marketing": {
                    "recommendations.recommendation": view,
                    "recommendations.evaluation": view,
                },
                "analyst": {
                    "recommendations.recommendation": view,
                    "recommendations.evaluation": view,
                },
            }
        )
        from rapport.recommendations import demo

        registry.register_demo_step(registry.DemoStep("recommendations", demo.run, order=80))
