"""Reads about staff and departments."""

from functools import lru_cache

from rapport.core.worktime import WorkClock
from rapport.staff.models import Department


def department_clock(department: Department) -> WorkClock:
    """The department's working-time clock (one per department version in each process: the
    clock builds its table of working intervals once and answers each deadline by search)."""
    return _clock(department.pk, department.version, department.calendar())


@lru_cache(maxsize=256)
def _clock(pk: int, version: int, calendar) -> WorkClock:  # noqa: ANN001
    return WorkClock(calendar)


def user_departments(user) -> list[Department]:  # noqa: ANN001
    """The active departments `user` belongs to (row-level scoping of department work)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Department.objects.filter(members=user, active=True))
