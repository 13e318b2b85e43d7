"""What keeping in touch plugs into the customer hub."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from rapport.core import registry, timeline
    from rapport.outreach import panels

    registry.register_urls("outreach/", "rapport.outreach.urls")
    registry.register_urls("public/outreach/", "rapport.outreach.public_urls")
    registry.register_urls("public/anymail/", "rapport.outreach.anymail_urls")
    from anymail.signals import tracking

    from rapport.outreach.services import anymail_tracking

    tracking.connect(anymail_tracking, dispatch_uid="rapport.outreach.anymail_tracking")
    registry.register_api_router("rapport.outreach.api:router")
    registry.register_nav(
        registry.NavItem(_("Moments"), "outreach:moments", "outreach.view_campaign", order=40)
    )
    registry.register_nav(
        registry.NavItem(_("Campaigns"), "outreach:campaigns", "outreach.view_campaign", order=41)
    )
    registry.register_nav(
        registry.NavItem(_("Events"), "outreach:events", "outreach.view_companyevent", order=43)
    )
    timeline.register("outreach", panels.outreach_timeline)
    registry.register_customer_panel(
        registry.CustomerPanel(
            name="outreach_moments",
            template="outreach/_customer_moments.html",
            context=panels.moments_panel,
            permission="outreach.view_campaign",
            slot="aside",
            order=30,
        )
    )
    registry.register_customer_filter(
        registry.CustomerFilter(
            name="city",
            label=_("City"),
            any_label=_("Any city"),
            apply=panels.filter_by_city,
            permission="customers.view_customer",
            description="City of any of the customer's addresses (exact, case-insensitive).",
            order=60,
        )
    )
    registry.register_customer_filter(
        registry.CustomerFilter(
            name="bought_product",
            label=_("Bought product (SKU or id)"),
            any_label=_("Any product"),
            apply=panels.filter_by_product,
            permission="sales.view_order",
            description="Customers who ordered this product (its SKU or id).",
            order=61,
        )
    )
    registry.register_customer_filter(
        registry.CustomerFilter(
            name="churn_risk",
            label=_("Churn risk"),
            any_label=_("Any churn risk"),
            apply=panels.filter_by_churn_risk,
            choices=panels.churn_risk_choices,
            permission="analytics.view_customerscore",
            description="Churn-risk band of the latest analytics refresh: low, medium, high.",
            order=63,
        )
    )
    # Consent per channel is the privacy app's filter ("email:granted"), shared by audiences.
    from rapport.outreach import demo

    registry.register_demo_step(registry.DemoStep("outreach", demo.run, order=60))
    from rapport.outreach import exporting, importing

    registry.register_import_kind(
        registry.ImportKindSpec(
            kind="coupons",
            label=_("coupons"),
            importer="rapport.outreach.importing:CouponImporter",
            targets=lambda: importing.COUPON_COLUMNS,
            view_permission="outreach.view_coupon",
            order=80,
        )
    )
    registry.register_import_kind(
        registry.ImportKindSpec(
            kind="event_attendance",
            label=_("event invitations and attendance"),
            importer="rapport.outreach.importing:AttendanceImporter",
            targets=lambda: importing.ATTENDANCE_COLUMNS,
            view_permission="outreach.view_invitation",
            order=81,
        )
    )
    registry.register_export_kind(
        registry.ExportKindSpec(
            kind="campaign_messages",
            label=_("campaign messages for a provider (SMS, letters)"),
            columns=exporting.COLUMNS,
            queryset=exporting.queryset,
            rows=exporting.rows,
            view_permission="outreach.view_campaign",
            order=80,
        )
    )
    registry.register_role_permissions(
        {
            "agent": {
                "outreach.campaign": ("view",),
                "outreach.companyevent": ("view",),
                "outreach.invitation": ("view", "change"),
                "outreach.coupon": ("view",),
                "outreach.couponredemption": ("add", "view"),
            },
            "manager": {
                "outreach.campaign": ("view", "add", "change", "delete"),
                "outreach.companyevent": ("view", "add", "change"),
                "outreach.invitation": ("view", "add", "change"),
                "outreach.coupon": ("view", "add", "change"),
                "outreach.couponredemption": ("add", "view"),
                "extra": ("outreach.send_campaign",),
            },
            "marketing": {
                "outreach.campaign": ("view", "add", "change", "delete"),
                "outreach.companyevent": ("view", "add", "change"),
                "outreach.invitation": ("view", "add", "change"),
                "outreach.coupon": ("view", "add", "change"),
                "outreach.couponredemption": ("add", "view"),
                "extra": ("outreach.send_campaign",),
            },
        }
    )
