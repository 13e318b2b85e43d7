"""What the complaints app registers with the hub (called from ComplaintsConfig.ready)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from rapport.complaints import panels, selectors
    from rapport.complaints.api_schemas import ComplaintListItem
    from rapport.complaints.choices import State
    from rapport.core import registry, timeline
    from rapport.core.choices import ChangeAction

    registry.register_urls("complaints/", "rapport.complaints.urls")
    registry.register_urls("portal/complaints/", "rapport.complaints.portal_urls")
    from rapport.complaints import portal
    from rapport.portal.registry import (
        PortalSection,
        register_link_handler,
        register_portal_section,
    )

    register_link_handler(portal.FOLLOW, portal.follow_link)
    register_link_handler(portal.SATISFACTION, portal.satisfaction_link)
    register_portal_section(
        PortalSection(
            name="complaints",
            template="complaints/_portal_section.html",
            context=portal.portal_section,
            order=20,
        )
    )
    registry.register_api_router("rapport.complaints.api:router")
    registry.register_nav(
        registry.NavItem(_("Complaints"), "complaints:queue", "complaints.view_complaint", order=35)
    )
    registry.register_customer_panel(
        registry.CustomerPanel(
            name="complaints",
            template="complaints/_customer_panel.html",
            context=panels.customer_panel,
            permission="complaints.view_complaint",
            slot="main",
            order=20,
        )
    )
    registry.register_customer_api_section(
        registry.CustomerApiSection(
            name="open_complaints",
            schema=list[ComplaintListItem],
            resolve=panels.customer_section,
            permission="complaints.view_complaint",
            default=[],
            description="Complaints not yet closed (those the caller may see). Empty without "
            "access to complaints.",
            order=40,
        )
    )
    registry.register_customer_filter(
        registry.CustomerFilter(
            name="complaint_state",
            label=_("Complaint"),
            any_label=_("Any complaint state"),
            apply=selectors.filter_customers_by_complaint_state,
            choices=lambda: [("open", _("open complaint")), *State.choices],
            permission="complaints.view_complaint",
            description="Customers with a complaint in this state (`open`: any not closed).",
        )
    )
    registry.register_change_titles(
        "complaints",
        "complaint",
        {
            ChangeAction.CREATE: _("Complaint recorded"),
            ChangeAction.UPDATE: _("Complaint changed"),
            ChangeAction.DELETE: _("Complaint deleted"),
        },
    )
    from rapport.complaints.models import Complaint

    timeline.register("complaint", selectors.complaint_timeline, covers=((Complaint, "*"),))
    from rapport.analytics.services import register_cost_to_serve, register_product_complaints
    from rapport.complaints import reports

    register_product_complaints("complaints", reports.product_complaints_source)
    register_cost_to_serve("complaint_remedies", reports.cost_to_serve_source)
    from rapport.complaints import importing

    registry.register_import_kind(
        registry.ImportKindSpec(
            kind="complaints",
            label=_("complaints"),
            importer="rapport.complaints.importing:ComplaintImporter",
            targets=lambda: importing.COLUMNS,
            view_permission="complaints.view_complaint",
            order=60,
        )
    )
    registry.register_export_kind(
        registry.ExportKindSpec(
            kind="complaints",
            label=_("complaints"),
            columns=importing.EXPORT,
            queryset=importing.export_queryset,
            rows=importing.export_rows,
            view_permission="complaints.view_all_complaints",
            order=60,
        )
    )
    from rapport.complaints import demo

    registry.register_demo_step(registry.DemoStep("complaints", demo.run, order=40))
    registry.register_role_permissions(
        {
            "agent": {
                "complaints.complaint": ("view", "add", "change"),
                "complaints.cause": ("view",),
                "extra": ("complaints.view_all_complaints",),
            },
            "department": {
                "complaints.complaint": ("view", "change"),
                "complaints.cause": ("view",),
            },
            "manager": {
                "complaints.complaint": ("view", "add", "change"),
                "complaints.cause": ("view", "add", "change"),
                "extra": (
                    "complaints.approve_complaint",
                    "complaints.view_complaint_report",
                    "complaints.view_all_complaints",
                ),
            },
            "administrator": {
                "extra": (
                    "complaints.approve_complaint",
                    "complaints.view_complaint_report",
                    "complaints.view_all_complaints",
                )
            },
            "analyst": {
                "complaints.complaint": ("view",),
                "complaints.cause": ("view",),
                "extra": (
                    "complaints.view_complaint_report",
                    "complaints.view_all_complaints",
                ),
            },
        }
    )
