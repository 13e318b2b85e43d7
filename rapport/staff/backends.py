"""Django's model backend, reading a user's permissions in one query instead of two.

Every page and API call checks a permission, so this query runs on every request: Django's
`ModelBackend` reads the user's own permissions and their groups' permissions in two ORM queries
(about 1 ms of CPU together); here one plain SQL statement (a UNION of both) returns the same set.
Nothing is cached beyond the request (the set lives on the user object, as Django's does), so a
role or permission change applies to the very next request, in every process.
"""

from functools import cache

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connections, router


@cache
def _permissions_sql() -> str:
    """`SELECT app_label, codename` of the permissions a user holds directly or through a group.

    Table and column names come from the models, so a custom user model with Django's
    PermissionsMixin works as well.
    """
    user_model = get_user_model()
    qn = connections[router.db_for_read(Permission)].ops.quote_name
    own = user_model._meta.get_field("user_permissions")
    groups = user_model._meta.get_field("groups")
    group_perms = Group._meta.get_field("permissions")
    return (
        f"SELECT ct.{qn('app_label')}, p.{qn('codename')} "  # noqa: S608 - names from the models
        f"FROM {qn(Permission._meta.db_table)} p "
        f"INNER JOIN {qn(ContentType._meta.db_table)} ct ON ct.{qn('id')} = p.{qn('content_type_id')} "
        f"WHERE p.{qn('id')} IN ("
        f"SELECT up.{qn(own.m2m_reverse_name())} FROM {qn(own.m2m_db_table())} up "
        f"WHERE up.{qn(own.m2m_column_name())} = %s "
        f"UNION "
        f"SELECT gp.{qn(group_perms.m2m_reverse_name())} FROM {qn(group_perms.m2m_db_table())} gp "
        f"INNER JOIN {qn(groups.m2m_db_table())} ug "
        f"ON ug.{qn(groups.m2m_reverse_name())} = gp.{qn(group_perms.m2m_column_name())} "
        f"WHERE ug.{qn(groups.m2m_column_name())} = %s)"
    )


def permission_set(user) -> set[str]:
    """`{"app_label.codename", …}` the user holds through their own permissions or roles."""
    with connections[router.db_for_read(Permission)].cursor() as cursor:
        cursor.execute(_permissions_sql(), [user.pk, user.pk])
        return {f"{app_label}.{codename}" for app_label, codename in cursor.fetchall()}


class StaffBackend(ModelBackend):
    """Username and password as Django's ModelBackend; permissions in one query per request."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:  # every permission: Django's own query
                user_obj._perm_cache = super().get_all_permissions(user_obj)
            else:
                user_obj._perm_cache = permission_set(user_obj)
        return user_obj._perm_cache


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out check before the password is: refuses a login for an account or from
    an address that failed AXES_FAILURE_LIMIT times (settings.py). A login without a request
    (`Client.login` in tests, a management command) is not a web login and is not counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
