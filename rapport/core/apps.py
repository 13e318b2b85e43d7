from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "rapport.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from rapport.core import timeline
        from rapport.core.selectors import change_timeline

        timeline.register("change", change_timeline)
