"""The errors each operation can answer, in the OpenAPI document, so a generated client knows
them: the shapes rapport.api.errors and rapport.api.routers produce."""

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, translated."}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Messages per field: `phones.0.number`, `limit`, or `__all__`.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
}
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "current_version": {
            "type": "integer",
            "description": "The version on the server, for an edit based on an older one.",
        },
        "errors": {
            "type": "object",
            "description": "For a value another record has: the field.",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail"],
}


def _response(description: str, schema: str, headers: dict[str, Any] | None = None) -> dict:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
    if headers:
        out["headers"] = headers
    return out


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add 400, 401, 403, 404 (operations on one record), 409 (writes) and 429 to every
    operation that does not state them already."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("FieldErrors", FIELD_ERRORS)
    components.setdefault("Conflict", CONFLICT)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            errors = {
                "400": _response(
                    "The request is not valid: the fields and their messages.", "FieldErrors"
                ),
                "401": _response("No valid token or session (a revoked token included).", "Error"),
                "403": _response("The token's user lacks the permission.", "Error"),
                "429": _response(
                    "Too many requests for this token; wait the seconds in Retry-After.",
                    "Error",
                    {"Retry-After": {"schema": {"type": "integer"}}},
                ),
            }
            if "{" in path:
                errors["404"] = _response("No such record.", "Error")
            if method in ("post", "put", "patch", "delete"):
                errors["409"] = _response(
                    "Someone saved a newer version, or a value (such as an external id) belongs "
                    "to another record.",
                    "Conflict",
                )
            for status, response in errors.items():
                responses.setdefault(status, response)
    return schema
