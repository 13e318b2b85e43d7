"""Turning input the database cannot take into a 400 that names the field, never a 500."""

import contextlib
import json
import logging
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from rapport.core.params import unstorable_text_error

log = logging.getLogger(__name__)

# In a raw JSON body: a NUL byte, or an escaped NUL or surrogate (\u0000, \ud800…\udfff).
_SUSPECT_JSON = re.compile(rb"\x00|\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _walk(value: Any, path: str, found: dict[str, list[str]]) -> None:
    if isinstance(value, str):
        if message := unstorable_text_error(value):
            found.setdefault(path or "__all__", []).append(message)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (message := unstorable_text_error(key)):
                found.setdefault(path or "__all__", []).append(message)
            _walk(item, f"{path}.{key}" if path else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), found)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable_fields(request: HttpRequest, *, form: bool = True) -> dict[str, list[str]]:
    """{field: [message]} for every query, form or JSON value holding a NUL byte or a lone
    surrogate, which neither PostgreSQL nor SQLite text columns can hold (`form=False`: not
    the posted form's fields)."""
    found: dict[str, list[str]] = {}
    for key, values in request.GET.lists():
        for value in values:
            _walk(value, key, found)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.content_type or ""
        if content_type == "application/json":
            body = request.body
            if _SUSPECT_JSON.search(body):
                with contextlib.suppress(
                    ValueError
                ):  # the endpoint answers a body that is not JSON
                    _walk(json.loads(body), "", found)
        elif form and content_type in FORM_TYPES:
            for key, values in request.POST.lists():
                for value in values:
                    _walk(value, key, found)
    return found


_PG_KEY = re.compile(r"Key \(([^)]+)\)=")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")


def integrity_errors(exc: IntegrityError) -> dict[str, list[str]]:
    """{field: [message]} for a unique constraint a write broke (the field from the database's
    message: PostgreSQL's "Key (external_id)=…", SQLite's "UNIQUE constraint failed: t.col")."""
    cause = exc.__cause__
    detail = getattr(getattr(cause, "diag", None), "message_detail", None) or str(exc)
    fields: list[str] = []
    if match := _PG_KEY.search(detail):
        fields = [f.strip() for f in match.group(1).split(",")]
    elif match := _SQLITE_UNIQUE.search(str(exc)):
        fields = [part.strip().rsplit(".", 1)[-1] for part in match.group(1).split(",")]
    message = _("Another record already has this value.")
    if not fields:
        return {"__all__": [_("This conflicts with another record (a value that must be unique).")]}
    return {field: [message] for field in fields}


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(
    request: HttpRequest, errors: dict[str, list[str]], status: int = 400
) -> HttpResponse:
    detail = (
        _("The data is not valid.") if status == 400 else _("This conflicts with another record.")
    )
    if _is_api(request):
        return JsonResponse({"detail": detail, "errors": errors}, status=status)
    return render(
        request,
        "400.html",
        {"detail": detail, "errors": sorted(errors.items()), "status": status},
        status=status,
    )


def too_large(request: HttpRequest, limit_mb: int) -> HttpResponse:
    """413 for an upload stopped at the limit (rapport.core.uploads), the limit named."""
    message = _("The upload is larger than %(limit)s MB, the most Rapport accepts.") % {
        "limit": limit_mb
    }
    if _is_api(request):
        return JsonResponse({"detail": message, "errors": {"file": [message]}}, status=413)
    return render(
        request,
        "400.html",
        {"detail": message, "errors": [("file", [message])], "status": 413},
        status=413,
    )


class InvalidInputMiddleware:
    """Refuses text the database cannot hold before any view sees it, and turns a
    ValidationError (a filter or a cursor that is not valid), a value out of the column's range
    or a duplicate that escaped a view into 400/409 with the field named instead of a 500."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A web form's fields are checked once the view is known (process_view): a page whose
        # forms refuse such text themselves shows the form again with the error on the field.
        if found := unstorable_fields(request, form=_is_api(request)):
            return bad_request(request, found)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        from rapport.core.uploads import upload_refused

        if (limit := upload_refused(request)) and not getattr(
            view_func, "checks_upload_size", False
        ):
            return too_large(request, limit)
        if _is_api(request) or getattr(view_func, "checks_unstorable_text", False):
            return None
        if request.method == "POST" and (request.content_type or "") in FORM_TYPES:
            found: dict[str, list[str]] = {}
            for key, values in request.POST.lists():
                for value in values:
                    _walk(value, key, found)
            if found:
                return bad_request(request, found)
        return None

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if isinstance(exc, ValidationError):
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            return bad_request(request, errors)
        if isinstance(exc, (DataError, OverflowError)):
            log.warning("Refused a value out of range on %s: %s", request.path, exc)
            return bad_request(
                request, {"__all__": [_("A value is out of the range Rapport can store.")]}
            )
        if isinstance(exc, IntegrityError):
            log.warning("Refused a conflicting write on %s: %s", request.path, exc)
            return bad_request(request, integrity_errors(exc), status=409)
        return None


# Idle sessions -------------------------------------------------------------------------------

LAST_SEEN = "rapport_last_seen"  # the session's last request, in seconds since the epoch
# Sent by the pages' automatic refreshes (the elements with hx-trigger="every …"):
# a page left open that polls for progress is not activity, so it does not restart the idle clock.
POLL_HEADER = "X-Rapport-Poll"
_TOUCH_EVERY = 60  # write the time back at most once a minute (not a session write per request)


def idle_seconds() -> int:
    from django.conf import settings

    return max(0, int(getattr(settings, "RAPPORT_SESSION_IDLE_MINUTES", 0) or 0)) * 60


def mark_session_seen(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On log-in (a user_logged_in receiver): the session starts its idle clock."""
    import time

    if getattr(request, "session", None) is not None:
        request.session[LAST_SEEN] = int(time.time())


class IdleSessionMiddleware:
    """Ends a logged-in session that made no request for RAPPORT_SESSION_IDLE_MINUTES (0: never);
    the next page asks for the password again. The absolute lifetime is SESSION_COOKIE_AGE."""

    def __init__(self, get_response) -> None:  # noqa: ANN001
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        from django.contrib import messages
        from django.contrib.auth import SESSION_KEY, logout

        limit = idle_seconds()
        session = getattr(request, "session", None)
        if limit and session is not None and SESSION_KEY in session:
            now = int(time.time())
            last = session.get(LAST_SEEN)
            polling = request.headers.get(POLL_HEADER) == "true"
            if isinstance(last, int) and now - last > limit:
                logout(request)
                messages.info(
                    request,
                    _("You were logged out after %(minutes)d minutes without activity.")
                    % {"minutes": limit // 60},
                )
                if request.headers.get("HX-Request") == "true":
                    # An htmx request would swap the login page into a fragment of the page:
                    # reload the whole page instead, which then asks for the password.
                    response = HttpResponse(status=200)
                    response["HX-Refresh"] = "true"
                    return response
            elif not polling and (not isinstance(last, int) or now - last >= _TOUCH_EVERY):
                session[LAST_SEEN] = now
        return self.get_response(request)
