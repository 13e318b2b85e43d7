"""Service errors become JSON with translated messages: 400 validation, 403, 404, 409 conflict,
429 too many requests (with Retry-After)."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import DataError, IntegrityError
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from rapport.core.exceptions import ConflictError
from rapport.core.ratelimit import RateLimited


def validation_payload(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {"detail": _("The data is not valid."), "errors": exc.message_dict}
    return {"detail": " ".join(exc.messages), "errors": {}}


def _out_of_range_payload() -> dict:
    return {
        "detail": _("The data is not valid."),
        "errors": {"__all__": [_("A value is out of the range Rapport can store.")]},
    }


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def _validation(request, exc):
        return api.create_response(request, validation_payload(exc), status=400)

    @api.exception_handler(ConflictError)
    def _conflict(request, exc):
        return api.create_response(
            request, {"detail": exc.message, "current_version": exc.current_version}, status=409
        )

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(
            request, {"detail": _("You do not have permission to do this.")}, status=403
        )

    @api.exception_handler(IntegrityError)
    def _duplicate(request, exc):
        from rapport.core.middleware import integrity_errors

        payload = {
            "detail": _("This conflicts with another record."),
            "errors": integrity_errors(exc),
        }
        return api.create_response(request, payload, status=409)

    @api.exception_handler(DataError)
    def _out_of_range(request, exc):
        return api.create_response(request, _out_of_range_payload(), status=400)

    @api.exception_handler(OverflowError)
    def _overflow(request, exc):
        return api.create_response(request, _out_of_range_payload(), status=400)

    @api.exception_handler(RateLimited)
    def _throttled(request, exc):
        response = api.create_response(
            request,
            {
                "detail": _("Too many requests. Try again in %(seconds)s seconds.")
                % {"seconds": exc.retry_after}
            },
            status=429,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(ObjectDoesNotExist)
    def _missing(request, exc):
        return api.create_response(request, {"detail": _("Not found.")}, status=404)
