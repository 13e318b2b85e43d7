from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunicationsConfig(AppConfig):
    name = "rapport.communications"
    label = "communications"
    verbose_name = _("Communications")

    def ready(self) -> None:
        from rapport.communications.models import RememberedDetail
        from rapport.communications.selectors import interaction_timeline
        from rapport.core import timeline

        # Details stand at the top of the page with author and date; their "created" rows would repeat them.
        timeline.register("interaction", interaction_timeline, covers=(RememberedDetail,))
