"""The URL map: the project's own pages, then every app's pages and API routers as the apps
registered them (rapport.core.registry.register_urls / register_api_router)."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog

from rapport.api.urls import api
from rapport.core import views as core_views
from rapport.core.registry import url_mounts

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico where a page names no icon (a download, an error page).
    path("favicon.ico", RedirectView.as_view(url=static("rapport/favicon.svg"), permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("rapport.staff.urls")),
    *(path(mount.prefix, include(mount.module)) for mount in url_mounts()),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
