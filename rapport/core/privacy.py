"""Reads of personal data in bulk are logged, and may be limited: every app that hands out many
customers' data at once (a list page through the API, an export file, an access export) calls
`personal_data_read`. `rapport.privacy` registers the log (and the daily limit for readers without
the export permission) with `register_read_log`; without it the call does nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied


class ReadLimitExceeded(PermissionDenied):
    """The reader is over the limit of personal records they may read today; the message says so."""


_log: Callable[..., None] | None = None


def register_read_log(fn: Callable[..., None]) -> None:
    global _log  # noqa: PLW0603  (one log, set once when the privacy app is ready)
    _log = fn


def personal_data_read(
    *,
    by: Any,
    kind: str,
    count: int,
    filters: dict[str, Any] | None = None,
    customer_id: int | None = None,
) -> None:
    """Log that `by` read `count` records (`kind`: "list_page", "file_export", "access_export")
    with `filters`. Raises ReadLimitExceeded (before anything is sent) when `by` may not read them."""
    if _log is not None:
        _log(by=by, kind=kind, count=count, filters=filters or {}, customer_id=customer_id)
