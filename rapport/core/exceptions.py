"""Errors that services raise and every interface (web, API, CLI, importer) turns into a message."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401  (re-exported)
from django.utils.translation import gettext as _


class ConflictError(Exception):
    """A second editor saved on top of a version they had not seen."""

    def __init__(
        self,
        *,
        current_version: int,
        changed_by: str = "",
        changed_at: Any = None,
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.changes = changes or {}  # {field: [before, after]} of the save in between
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.changed_by:
            return _(
                "Someone else (%(user)s) saved this record while you were editing it. "
                "Reload to see their changes, then apply yours again."
            ) % {"user": self.changed_by}
        return _(
            "Someone else saved this record while you were editing it. "
            "Reload to see their changes, then apply yours again."
        )
