from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DedupeConfig(AppConfig):
    name = "rapport.dedupe"
    label = "dedupe"
    verbose_name = _("Duplicates")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.dedupe import panels

        registry.register_customer_panel(
            registry.CustomerPanel(
                name="duplicates",
                template="dedupe/_customer_panel.html",
                context=panels.customer_panel,
                permission="dedupe.view_duplicatepair",
                slot="aside",
                order=5,
            )
        )
        registry.register_urls("duplicates/", "rapport.dedupe.urls")
        registry.register_api_router("rapport.dedupe.api:router")
        registry.register_nav(
            registry.NavItem(_("Duplicates"), "dedupe:queue", "dedupe.view_duplicatepair", order=25)
        )
        registry.register_role_permissions(
            {
                "manager": {
                    "dedupe.duplicatepair": ("view",),
                    "dedupe.notsameperson": ("view", "add", "delete"),
                },
                "agent": {
                    "dedupe.duplicatepair": ("view",),
                    "dedupe.notsameperson": ("view", "add"),
                },
            }
        )
        from rapport.dedupe import demo, importing

        registry.register_demo_step(registry.DemoStep("duplicates", demo.run, order=90))
        importing.register()
