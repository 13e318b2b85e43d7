from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "rapport.staff"
    label = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.staff.services import departments_sync, roles_sync

        registry.register_urls("staff/", "rapport.staff.team_urls")
        registry.register_nav(
            registry.NavItem(_("Staff"), "staff:list", "staff.manage_staff", order=95)
        )

        # Like Django's own permission rows: after every migrate, the role groups match roles.py.
        post_migrate.connect(
            lambda **kw: roles_sync(), dispatch_uid="rapport.staff.roles_sync", weak=False
        )
        post_migrate.connect(
            lambda **kw: departments_sync(),
            sender=self,
            dispatch_uid="rapport.staff.departments",
            weak=False,
        )
