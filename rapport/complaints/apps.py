from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "rapport.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from rapport.complaints import seams

        seams.register()
