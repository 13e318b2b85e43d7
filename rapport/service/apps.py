from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "rapport.service"
    label = "service"
    verbose_name = _("After-sales service")

    def ready(self) -> None:
        from rapport.analytics.services import register_cost_to_serve
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction
        from rapport.portal.registry import register_link_handler
        from rapport.service import demo, panels, selectors, tasks  # noqa: F401
        from rapport.service.api import CommitmentOut
        from rapport.service.models import Commitment, Recall, ServiceRequest, Visit
        from rapport.service.views_public import recall_link

        register_link_handler("recall", recall_link, label=Recall._meta.verbose_name)
        # The complaints' notices about a common problem become recalls: one tracked kind.
        from rapport.service.services import recall_publish

        registry.register_notice_publisher(registry.NoticePublisher(recall_publish))
        registry.register_linkable_record(
            registry.LinkableRecord(
                "service_visit",
                _("a service visit"),
                selectors.visit_link,
                selectors.visit_choices,
            )
        )
        register_cost_to_serve("service_visits", selectors.cost_to_serve_source)
        timeline.register(
            "service",
            selectors.service_timeline,
            covers=(ServiceRequest, Commitment, (Visit, "*"), (Commitment, "*")),
        )
        registry.register_urls("service/", "rapport.service.urls")
        registry.register_api_router("rapport.service.api:router")
        registry.register_nav(
            registry.NavItem(_("Service"), "service:home", "service.view_servicerequest", order=65)
        )
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="service",
                template="service/_customer_panel.html",
                context=panels.customer_panel,
                permission="service.view_servicerequest",
                slot="aside",
                order=40,
            )
        )
        registry.register_customer_api_section(
            registry.CustomerApiSection(
                name="service_commitments",
                schema=list[CommitmentOut],
                resolve=panels.customer_section,
                description="Promises made to the customer (open first), with due time, owner "
                "and state. Empty without access to commitments.",
                permission="service.view_commitment",
                default=[],
                order=70,
            )
        )
        registry.register_customer_filter(
            registry.CustomerFilter(
                name="promise",
                label=_("Promises"),
                any_label=_("Any promises"),
                apply=selectors.filter_customers_by_promise,
                choices=lambda: [
                    ("open", _("an open promise")),
                    ("overdue", _("an overdue promise")),
                    ("broken", _("a broken promise")),
                ],
                permission="service.view_commitment",
                description="open, overdue or broken: customers with such a promise.",
                order=70,
            )
        )
        for model, titles in (
            (
                ServiceRequest,
                {
                    ChangeAction.CREATE: _("Service request %(record)s opened"),
                    ChangeAction.UPDATE: _("Service request %(record)s changed"),
                },
            ),
            (
                Visit,
                {
                    ChangeAction.CREATE: _("Service visit %(record)s booked"),
                    ChangeAction.UPDATE: _("Service visit %(record)s changed"),
                },
            ),
            (
                Commitment,
                {
                    ChangeAction.CREATE: _("Promise recorded: %(record)s"),
                    ChangeAction.UPDATE: _("Promise changed: %(record)s"),
                },
            ),
            (
                Recall,
                {
                    ChangeAction.CREATE: _("Product notice %(record)s written"),
                    ChangeAction.UPDATE: _("Product notice %(record)s changed"),
                },
            ),
        ):
            registry.register_change_titles("service", model._meta.model_name, titles)
        all_ = ("view", "add", "change", "delete")
        registry.register_role_permissions(
            {
                "manager": {
                    "service.servicerequest": all_,
                    "service.visit": all_,
                    "service.commitment": all_,
                    "service.serviceinterval": all_,
                    "service.recall": all_,
                    "service.recallnotice": ("view", "change"),
                    "service.article": all_,
                    "service.trainingsession": all_,
                    "service.attendance": all_,
                },
                "agent": {
                    "service.servicerequest": ("view", "add", "change"),
                    "service.visit": ("view", "add", "change"),
                    "service.commitment": ("view", "add", "change"),
                    "service.recall": ("view",),
                    "service.recallnotice": ("view",),
                    "service.article": ("view", "change"),
                    "service.trainingsession": ("view",),
                    "service.attendance": ("view", "add", "change"),
                },
                "department": {
                    "service.servicerequest": ("view", "change"),
                    "service.visit": ("view", "add", "change"),
                    "service.commitment": ("view", "add", "change"),
                    "service.recall": ("view",),
                },
                "analyst": {
                    "service.servicerequest": ("view",),
                    "service.visit": ("view",),
                    "service.commitment": ("view",),
                    "service.recall": ("view",),
                },
            }
        )
        registry.register_export_kind(
            registry.ExportKindSpec(
                kind="service_visits",
                label=_("Service visits"),
                columns=demo.EXPORT_COLUMNS,
                queryset=demo.export_queryset,
                rows=demo.export_rows,
                view_permission="service.view_visit",
                order=85,
            )
        )
        registry.register_nav(
            registry.NavItem(
                _("Knowledge"), "service:training", "service.view_trainingsession", order=66
            )
        )
        from rapport.service.importing.intervals import INTERVAL_COLUMNS

        registry.register_import_kind(
            registry.ImportKindSpec(
                kind="service_intervals",
                label=_("maintenance intervals"),
                importer="rapport.service.importing.intervals:IntervalImporter",
                targets=lambda: INTERVAL_COLUMNS,
                view_permission="service.view_serviceinterval",
                order=86,
            )
        )
        from rapport.service.importing.visits import VISIT_COLUMNS

        registry.register_import_kind(
            registry.ImportKindSpec(
                kind="service_visits",
                label=_("service visits"),
                importer="rapport.service.importing.visits:VisitImporter",
                targets=lambda: VISIT_COLUMNS,
                view_permission="service.view_visit",
                order=85,
            )
        )
        registry.register_demo_step(registry.DemoStep("service", demo.demo_step, order=70))
