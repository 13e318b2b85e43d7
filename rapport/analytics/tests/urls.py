"""The project's URLs plus the analytics pages and API, for the tests until the lead mounts them.

The API is a separate NinjaAPI on /api/v1/ listed first: paths it does not know fall through to
the project's API.
"""

from django.urls import include, path
from ninja import NinjaAPI

from rapport.analytics.api import build_router
from rapport.api.auth import AUTH
from rapport.api.errors import install_error_handlers
from rapport.urls import urlpatterns as project

api = NinjaAPI(title="Analytics (tests)", auth=AUTH, urls_namespace="analytics-test-api")
install_error_handlers(api)
api.add_router("/", build_router())

mounted = any(getattr(p, "namespace", None) == "analytics" for p in project)
urlpatterns = [
    path("api/v1/", api.urls),
    *project,
    *([] if mounted else [path("analytics/", include("rapport.analytics.urls"))]),
]
