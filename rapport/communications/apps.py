from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "rapport.communications"
    label = "communications"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from rapport.communications import panels
        from rapport.communications.api import RememberedDetailOut
        from rapport.communications.models import RememberedDetail
        from rapport.communications.selectors import interaction_timeline, message_timeline
        from rapport.core import registry, timeline
        from rapport.core.choices import ChangeAction

        # Details stand at the top of the page with author and date; their "created" rows would
        # repeat them.
        timeline.register("interaction", interaction_timeline, covers=(RememberedDetail,))
        timeline.register("message", message_timeline)
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="remembered_details",
                template="communications/_remembered_panel.html",
                context=panels.remembered_panel,
                permission="communications.view_remembereddetail",
                slot="top",
                order=10,
            )
        )
        registry.register_customer_panel(
            registry.CustomerPanel(
                name="log_interaction",
                template="communications/_interaction_panel.html",
                context=panels.interaction_panel,
                permission="communications.add_interaction",
                slot="main",
                order=10,
            )
        )
        registry.register_customer_api_section(
            registry.CustomerApiSection(
                name="remembered_details",
                schema=list[RememberedDetailOut],
                resolve=panels.remembered_section,
                description="Active details, pinned first, then newest: bring them up when you "
                "talk. Empty without access to remembered details.",
                permission="communications.view_remembereddetail",
                default=[],
                order=10,
            )
        )
        registry.register_change_titles(
            "communications",
            "remembereddetail",
            {
                ChangeAction.CREATE: _("Remembered detail added"),
                ChangeAction.UPDATE: _("Remembered detail changed"),
                ChangeAction.DELETE: _("Remembered detail deleted"),
            },
        )
        registry.register_urls("communications/", "rapport.communications.urls")
        registry.register_api_router("rapport.communications.api:router")
        registry.register_nav(
            registry.NavItem(
                _("Communication log"),
                "communications:interaction_list",
                "communications.view_interaction",
                order=50,
            )
        )
