from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "rapport.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from rapport.analytics.services import register_satisfaction
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction
        from rapport.portal.registry import register_link_handler
        from rapport.surveys import api_schemas, demo, panels, selectors, tasks  # noqa: F401
        from rapport.surveys.choices import GapLabel
        from rapport.surveys.models import Answer, FollowUp, ProductIdea, Survey
        from rapport.surveys.summary import answer_going
        from rapport.surveys.views_public import answer_page

        # The dashboard's roll-up follows every answer that goes, cascades included.
        pre_delete.connect(answer_going, sender=Answer, dispatch_uid="surveys_summary_answer_going")
        register_link_handler("survey", answer_page, label=_("survey"))
        from rapport.surveys.checks import check_page

        # A complaint's satisfaction check is answered as the built-in survey (checks.py).
        registry.register_satisfaction_check(check_page)
        register_satisfaction("surveys", selectors.satisfaction_source)
        timeline.register("survey", selectors.survey_event_timeline, covers=((FollowUp, "*"),))
        registry.register_urls("surveys/", "rapport.surveys.urls")
        registry.register_api_router("rapport.surveys.api:router")
        registry.register_nav(
            registry.NavItem(
                _("Satisfaction"), "surveys:dashboard", "surveys.view_answer", order=60
            )
        )
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="satisfaction",
                template="surveys/_customer_panel.html",
                context=panels.customer_panel,
                permission="surveys.view_answer",
                slot="main",
                order=40,
            )
        )
        registry.register_customer_api_section(
            registry.CustomerApiSection(
                name="satisfaction",
                schema=list[api_schemas.GapRowOut],
                resolve=panels.customer_section,
                description="The customer's expectation, experience and gap per attribute, "
                "with the documents' label (dissatisfied, satisfied, delighted). Empty without "
                "access to survey answers.",
                permission="surveys.view_answer",
                default=[],
                order=60,
            )
        )
        registry.register_customer_filter(
            registry.CustomerFilter(
                name="satisfaction_label",
                label=_("Satisfaction"),
                any_label=_("Any satisfaction"),
                apply=selectors.filter_customers_by_gap,
                choices=lambda: list(GapLabel.choices),
                permission="surveys.view_answer",
                description="Customers with at least one paired answer of this label.",
                order=60,
            )
        )
        for model, titles in (
            (
                Survey,
                {
                    ChangeAction.CREATE: _("Survey %(record)s created"),
                    ChangeAction.UPDATE: _("Survey %(record)s changed"),
                },
            ),
            (
                FollowUp,
                {
                    ChangeAction.CREATE: _("Follow-up opened after a dissatisfied answer"),
                    ChangeAction.UPDATE: _("Follow-up changed"),
                },
            ),
            (
                ProductIdea,
                {
                    ChangeAction.CREATE: _("Product idea %(record)s recorded"),
                    ChangeAction.UPDATE: _("Product idea %(record)s changed"),
                },
            ),
        ):
            registry.register_change_titles("surveys", model._meta.model_name, titles)
        registry.register_role_permissions(
            {
                "manager": {
                    "surveys.survey": ("view", "add", "change", "delete"),
                    "surveys.question": ("view", "add", "change", "delete"),
                    "surveys.invitation": ("view", "add"),
                    "surveys.answer": ("view",),
                    "surveys.followup": ("view", "add", "change"),
                    "surveys.suggestion": ("view", "change"),
                    "surveys.productidea": ("view", "add", "change"),
                },
                "agent": {
                    "surveys.survey": ("view",),
                    "surveys.invitation": ("view", "add"),
                    "surveys.answer": ("view",),
                    "surveys.followup": ("view", "change"),
                    "surveys.suggestion": ("view",),
                },
                "department": {
                    "surveys.answer": ("view",),
                    "surveys.followup": ("view", "change"),
                    "surveys.suggestion": ("view", "change"),
                    "surveys.productidea": ("view", "add", "change"),
                },
                "marketing": {
                    "surveys.survey": ("view", "add", "change"),
                    "surveys.question": ("view", "add", "change", "delete"),
                    "surveys.invitation": ("view", "add"),
                    "surveys.answer": ("view",),
                    "surveys.suggestion": ("view",),
                    "surveys.productidea": ("view",),
                },
                "analyst": {
                    "surveys.survey": ("view",),
                    "surveys.answer": ("view",),
                    "surveys.suggestion": ("view",),
                    "surveys.productidea": ("view",),
                },
            }
        )
        registry.register_export_kind(
            registry.ExportKindSpec(
                kind="survey_answers",
                label=_("Survey answers"),
                columns=demo.EXPORT_COLUMNS,
                queryset=selectors.answer_queryset,
                rows=demo.export_rows,
                view_permission="surveys.view_answer",
                order=80,
            )
        )
        from rapport.surveys.importing import ANSWER_COLUMNS

        registry.register_import_kind(
            registry.ImportKindSpec(
                kind="survey_answers",
                label=_("Survey answers"),
                importer="rapport.surveys.importing:AnswerImporter",
                targets=lambda: ANSWER_COLUMNS,
                view_permission="surveys.view_answer",
                # Answers are never added by hand: who may set up surveys may load their answers.
                permission="surveys.add_survey",
                order=80,
            )
        )
        registry.register_demo_step(registry.DemoStep("surveys", demo.demo_step, order=60))
        _subscribe_other_apps()
        _subscribe_consent()


def _subscribe_consent() -> None:
    from rapport.core.events import subscribe
    from rapport.customers.choices import CustomerEventType
    from rapport.customers.models import CustomerEvent

    def withdrawn(event) -> None:  # noqa: ANN001
        from rapport.core.actors import SCHEDULER
        from rapport.surveys.services import surveys_withdraw_for

        surveys_withdraw_for(
            by=SCHEDULER,
            customer_id=event.customer_id,
            channel=(event.parameters or {}).get("channel", ""),
        )

    subscribe(CustomerEvent, CustomerEventType.CONSENT_WITHDRAWN, withdrawn)


def _subscribe_other_apps() -> None:
    """The seams to the sibling apps, without importing them: when the service app records a visit
    done ("visit_done") or the complaints app closes a complaint (a "transition" to "closed"), the
    surveys with that trigger are sent. The event's `customer_id`, its record (`complaint_id`) or
    `parameters` ("visit" / "complaint", "product", "department") say who and what about."""
    from django.apps import apps

    from rapport.core.events import subscribe
    from rapport.surveys.choices import Trigger

    for app_label, model_name, event_type, trigger, key in (
        ("service", "ServiceEvent", "visit_done", Trigger.SERVICE_VISIT, "visit"),
        ("complaints", "ComplaintEvent", "transition", Trigger.COMPLAINT_CLOSED, "complaint"),
    ):
        if not apps.is_installed(f"rapport.{app_label}"):
            continue
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        subscribe(model, event_type, _trigger_handler(trigger, f"{app_label}.{key}", key))


def _trigger_handler(trigger: str, source_type: str, key: str):  # noqa: ANN202
    def handle(event) -> None:  # noqa: ANN001
        from rapport.core.actors import SCHEDULER
        from rapport.surveys.services import survey_trigger

        parameters = event.parameters or {}
        if event.type == "transition" and getattr(event, "to_state", "") != "closed":
            return  # a complaint's step other than closing it
        customer_id = getattr(event, "customer_id", None) or parameters.get("customer")
        source_id = parameters.get(key) or getattr(event, f"{key}_id", None)
        if not customer_id or not source_id:
            return
        survey_trigger(
            by=SCHEDULER,
            trigger=trigger,
            customer_id=int(customer_id),
            source=(source_type, int(source_id)),
            product_id=parameters.get("product"),
            department_id=parameters.get("department"),
        )

    return handle
