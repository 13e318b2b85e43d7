"""The REST API at /api/v1/: OpenAPI schema at /api/v1/openapi.json, docs at /api/v1/docs."""

from ninja import NinjaAPI

from rapport.api.auth import AUTH
from rapport.api.errors import install_error_handlers

api = NinjaAPI(
    title="Rapport API",
    version="1.0.0",
    description="Customers, organisations, products, orders and the communication log.",
    auth=AUTH,
    urls_namespace="api",
)
install_error_handlers(api)

from rapport.api.routers import register_routers  # noqa: E402

register_routers(api)
