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

        from django.contrib.auth.signals import user_logged_in

        from rapport.core.middleware import mark_session_seen

        user_logged_in.connect(mark_session_seen, dispatch_uid="rapport_session_seen")
