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

    register_link_handler(portal.FOLLOW, portal.follow_link, label=_("complaint"))
    register_link_handler(portal.SATISFACTION, _satisfaction_page, label=_("satisfaction answer"))
    _link_surveys()
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


# Surveys (issue 13): the satisfaction check is asked as a survey; a survey answer may become a
# complaint. Through the hub (rapport.core.registry) and typed events only, never an import.


def _satisfaction_page(request, link, token):  # noqa: ANN001, ANN202
    """The check link opens the survey registered with the hub; this app's own form otherwise."""
    from rapport.complaints import portal
    from rapport.core.registry import satisfaction_check_page

    page = satisfaction_check_page() or portal.satisfaction_link
    return page(request, link, token)


def _link_surveys() -> None:
    from django.apps import apps

    from rapport.core.events import subscribe
    from rapport.core.registry import on_satisfaction_check

    on_satisfaction_check("complaints.complaint", _check_answered)
    if apps.is_installed("rapport.surveys"):
        survey_event = apps.get_model("surveys", "SurveyEvent")
        subscribe(survey_event, "complaint_requested", _complaint_requested)
    if apps.is_installed("rapport.service"):
        service_event = apps.get_model("service", "ServiceEvent")
        subscribe(service_event, "recall_notified", _recall_notified)


def _check_answered(answers, by) -> None:  # noqa: ANN001
    """The check answered (in the survey's transaction): the complaint keeps the three answers
    as its summary (the dashboard reads them), records the step, reopens when not solved."""
    from django.utils.translation import gettext as _

    from rapport.complaints import services
    from rapport.complaints.choices import Action, EventType, State
    from rapport.complaints.models import Complaint, ComplaintEvent, Satisfaction
    from rapport.core.events import emit

    complaint = Complaint.objects.filter(
        pk=answers.source[1], customer_id=answers.customer_id
    ).first()
    if complaint is None or answers.solved is None or answers.score is None:
        return
    Satisfaction.objects.update_or_create(
        complaint=complaint,
        defaults={
            "solved": answers.solved,
            "score": answers.score,
            "buy_again": bool(answers.buy_again),
            "answered_at": answers.answered_at,
        },
    )
    emit(
        ComplaintEvent,
        by=by,
        type=EventType.SATISFACTION,
        complaint=complaint,
        customer_id=complaint.customer_id,
        parameters={"solved": _("yes") if answers.solved else _("no"), "score": answers.score},
    )
    if not answers.solved and complaint.state in (State.CARRIED_OUT, State.CLOSED):
        services.complaint_act(
            by=services.CustomerActor(complaint.customer_id),
            complaint_id=complaint.pk,
            action=Action.REOPEN,
            reason=_("The customer says the problem is not solved."),
        )


def _complaint_requested(event) -> None:  # noqa: ANN001
    """A customer asked, on a survey, for their dissatisfied answer to become a complaint: it is
    recorded (and acknowledged) like one filed on the portal."""
    from rapport.complaints import services
    from rapport.complaints.choices import Category, Channel
    from rapport.core.actors import PORTAL

    parameters = event.parameters or {}
    category = parameters.get("category")
    services.complaint_record(
        by=PORTAL,
        customer_id=event.customer_id,
        channel=Channel.PORTAL,
        category=category if category in Category.values else Category.SERVICE,
        description=str(parameters.get("description") or "")[:5000] or "—",
        product_id=parameters.get("product"),
    )


def _recall_notified(event) -> None:  # noqa: ANN001
    """A product notice or recall (the service app's, the one kind of notice) told a customer:
    each of their complaints about that product (and batch) gets the notice step, as this app's
    own notices to buyers do."""
    from rapport.complaints.choices import EventType
    from rapport.complaints.models import Complaint, ComplaintEvent
    from rapport.core.actors import SCHEDULER
    from rapport.core.events import emit

    parameters = event.parameters or {}
    if not parameters.get("product"):
        return
    complaints = Complaint.objects.filter(
        customer_id=event.customer_id, product_id=parameters["product"]
    )
    if parameters.get("batch"):
        complaints = complaints.filter(batch=parameters["batch"])
    for complaint in complaints.only("pk", "customer_id"):
        emit(
            ComplaintEvent,
            by=SCHEDULER,
            type=EventType.NOTICE,
            complaint=complaint,
            customer_id=complaint.customer_id,
            parameters={
                "subject": str(parameters.get("title") or "")[:200],
                "count": parameters.get("count", 1),
            },
        )
