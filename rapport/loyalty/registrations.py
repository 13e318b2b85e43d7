"""What membership and loyalty plugs into the customer hub and the analytics."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# A points entry's reason that Rapport writes (rapport.loyalty.services): kept in English,
# shown in the reader's language.
REFERRAL_REWARD = gettext_noop("Referral reward")


def register() -> None:
    from rapport.analytics.services import register_cost_to_serve, register_switching_cost
    from rapport.core import registry, timeline
    from rapport.loyalty import panels, selectors

    registry.register_urls("loyalty/", "rapport.loyalty.urls")
    registry.register_urls("public/loyalty/", "rapport.loyalty.public_urls")
    # The reasons Rapport writes itself are kept in English and shown in the reader's language.
    registry.register_change_fields(
        "loyalty", "pointsentry", {"reason": (_("why"), {REFERRAL_REWARD: _(REFERRAL_REWARD)})}
    )
    registry.register_api_router("rapport.loyalty.api:router")
    registry.register_nav(
        registry.NavItem(_("Loyalty"), "loyalty:index", "loyalty.view_tier", order=42)
    )
    registry.register_customer_panel(
        registry.CustomerPanel(
            name="loyalty",
            template="loyalty/_customer_panel.html",
            context=panels.customer_panel,
            permission="loyalty.view_pointsentry",
            slot="aside",
            order=20,
        )
    )
    registry.register_customer_api_section(
        registry.CustomerApiSection(
            name="loyalty",
            schema=panels.LoyaltySection | None,
            resolve=panels.customer_section,
            permission="loyalty.view_pointsentry",
            description="Membership tier, points balance and referral code (null without access).",
        )
    )
    registry.register_customer_filter(
        registry.CustomerFilter(
            name="tier",
            label=_("Membership tier"),
            any_label=_("Any tier"),
            apply=selectors.filter_by_tier,
            choices=selectors.tier_choices,
            permission="loyalty.view_tier",
            description="Membership tier name, e.g. Gold.",
            order=70,
        )
    )
    timeline.register("loyalty", selectors.loyalty_timeline)
    from rapport.loyalty import importing

    registry.register_import_kind(
        registry.ImportKindSpec(
            kind="loyalty_points",
            label=_("loyalty point adjustments"),
            importer="rapport.loyalty.importing:PointsImporter",
            targets=lambda: importing.POINTS_COLUMNS,
            view_permission="loyalty.view_pointsentry",
            permission="loyalty.adjust_points",
            order=82,
        )
    )
    register_switching_cost("loyalty", selectors.switching_cost)
    register_cost_to_serve("loyalty_rewards", selectors.reward_costs)
    view = ("view",)
    from rapport.loyalty import demo

    registry.register_demo_step(registry.DemoStep("loyalty", demo.run, order=50))
    registry.register_role_permissions(
        {
            "agent": {
                "loyalty.tier": view,
                "loyalty.pointsentry": ("view", "add"),
                "loyalty.referral": ("view", "add"),
            },
            "manager": {
                "loyalty.tier": ("view", "add", "change"),
                "loyalty.pointsentry": ("view", "add"),
                "loyalty.referral": ("view", "add"),
                "loyalty.pointsrule": ("view", "add", "change", "delete"),
                "extra": ("loyalty.adjust_points",),
            },
            "marketing": {
                "loyalty.tier": ("view", "add", "change"),
                "loyalty.pointsentry": view,
                "loyalty.referral": view,
                "loyalty.pointsrule": ("view", "add", "change", "delete"),
            },
            "analyst": {
                "loyalty.tier": view,
                "loyalty.pointsentry": view,
                "loyalty.referral": view,
            },
        }
    )
