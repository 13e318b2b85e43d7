from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "rapport.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from rapport.complaints import seams
        from rapport.complaints.builtin import ensure_causes

        seams.register()
        # The built-in causes exist after every migrate, and again after a database is emptied.
        post_migrate.connect(
            lambda **kw: ensure_causes(),
            sender=self,
            dispatch_uid="rapport.complaints.causes",
            weak=False,
        )
