"""Each business area's router, mounted under /api/v1/ (each app registers its own)."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import ValidationError as RequestValidationError

from rapport.core.registry import api_routers


def register_routers(api: NinjaAPI) -> None:
    """Mount every router the apps registered (rapport.core.registry.register_api_router)."""
    for dotted in api_routers():
        api.add_router("/", import_string(dotted.replace(":", ".")))
    _request_errors_as_400(api)


def request_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's pydantic errors as {field: [messages]}: `phones.0.number`, `limit`, `__all__`."""
    out: dict[str, list[str]] = {}
    for error in errors:
        # Drop pydantic's validator tags, e.g. "function-wrap[_run_root_validator()]".
        loc = [str(part) for part in error.get("loc", ()) if "[" not in str(part)]
        # ("body", "payload", "emails", 0) -> emails.0; ("query", "limit") -> limit
        path = loc[2:] if loc[:1] == ["body"] else loc[1:]
        out.setdefault(".".join(path) or "__all__", []).append(str(error.get("msg", "")))
    return out


def _request_errors_as_400(api: NinjaAPI) -> None:
    # A body or query that does not parse gets the same 400 shape as a service's ValidationError,
    # so a client handles one error format (ninja's default would be a 422 with a list).
    @api.exception_handler(RequestValidationError)
    def _invalid(request: HttpRequest, exc: RequestValidationError) -> HttpResponse:
        payload = {"detail": _("The data is not valid."), "errors": request_errors(exc.errors)}
        return api.create_response(request, payload, status=400)
