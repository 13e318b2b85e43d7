"""The REST API at /api/v1/: OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from typing import Any

from ninja import NinjaAPI

from rapport.api.auth import AUTH
from rapport.api.errors import install_error_handlers
from rapport.api.openapi import add_error_responses


class RapportAPI(NinjaAPI):
    """The API, whose OpenAPI document lists the errors of each operation."""

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        return add_error_responses(super().get_openapi_schema(**kwargs))


api = RapportAPI(
    title="Rapport API",
    version="1.0.0",
    description="Customers, organisations, products, orders and the communication log.",
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)

from rapport.api.routers import register_routers  # noqa: E402

register_routers(api)
