"""The roles, as data: which permissions each group holds. `roles_sync` makes the groups match.

An app that adds models grants its own permissions to these roles from its AppConfig.ready() with
`rapport.core.registry.register_role_permissions({role: {model: actions, "extra": codenames}})`,
so this file lists the roles and the permissions on the apps that were here first.
"""

from django.utils.translation import gettext_lazy as _

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)

ROLE_LABELS = {
    "administrator": _("Administrator"),
    "manager": _("Manager"),
    "agent": _("Customer-service agent"),
    "department": _("Department staff"),
    "marketing": _("Marketing"),
    "analyst": _("Analyst (read-only)"),
}

# model -> actions, per role. Custom permissions are listed by codename under "extra".
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "administrator": {
        "*": ALL,
        "extra": (
            "imports.import_data",
            "imports.export_data",
            "staff.manage_staff",
            "customers.merge_customer",
        ),
    },
    "manager": {
        "analytics.customerscore": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": ALL,
        "customers.customer": ALL,
        "customers.organisation": ALL,
        "customers.organisationcontact": ALL,
        "customers.tag": ALL,
        "sales.product": ALL,
        "sales.order": ALL,
        "sales.return": ALL,
        "sales.exchangerate": ALL,
        "communications.interaction": ALL,
        "communications.remembereddetail": ALL,
        "core.objectchange": (VIEW,),
        "imports.importjob": (VIEW, ADD),
        "extra": (
            "imports.import_data",
            "imports.export_data",
            "analytics.view_report",
            "customers.merge_customer",
        ),
    },
    "agent": {
        "analytics.customerscore": (VIEW,),
        "analytics.churnrecord": (VIEW, ADD),
        "customers.customer": (VIEW, ADD, CHANGE),
        "customers.organisation": (VIEW, ADD, CHANGE),
        "customers.organisationcontact": (VIEW, ADD, CHANGE),
        "customers.tag": (VIEW,),
        "sales.product": (VIEW,),
        "sales.order": (VIEW, ADD, CHANGE),
        "sales.return": (VIEW, ADD),
        "communications.interaction": (VIEW, ADD, CHANGE),
        "communications.remembereddetail": (VIEW, ADD, CHANGE),
        "core.objectchange": (VIEW,),
    },
    "department": {
        "customers.customer": (VIEW,),
        "customers.organisation": (VIEW,),
        "customers.organisationcontact": (VIEW,),
        "sales.product": (VIEW,),
        "sales.order": (VIEW,),
        "sales.return": (VIEW,),
        "communications.interaction": (VIEW, ADD),
        "communications.remembereddetail": (VIEW,),
    },
    "marketing": {
        "analytics.customerscore": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": (VIEW,),
        "customers.customer": (VIEW, CHANGE),
        "customers.organisation": (VIEW,),
        "customers.organisationcontact": (VIEW,),
        "customers.tag": ALL,
        "sales.product": (VIEW,),
        "sales.order": (VIEW,),
        "sales.return": (VIEW,),
        "sales.exchangerate": (VIEW,),
        "communications.interaction": (VIEW, ADD),
        "communications.remembereddetail": (VIEW,),
        "extra": ("imports.export_data", "analytics.view_report"),
    },
    "analyst": {
        "analytics.customerscore": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": (VIEW,),
        "customers.customer": (VIEW,),
        "customers.organisation": (VIEW,),
        "customers.organisationcontact": (VIEW,),
        "customers.tag": (VIEW,),
        "sales.product": (VIEW,),
        "sales.order": (VIEW,),
        "sales.return": (VIEW,),
        "sales.exchangerate": (VIEW,),
        "communications.interaction": (VIEW,),
        "communications.remembereddetail": (VIEW,),
        "core.objectchange": (VIEW,),
        "extra": ("imports.export_data", "analytics.view_report"),
    },
}


def rapport_apps() -> set[str]:
    """The labels of Rapport's own installed apps (the administrator's "*" covers all of them)."""
    from django.apps import apps

    return {c.label for c in apps.get_app_configs() if c.name.startswith("rapport.")}
