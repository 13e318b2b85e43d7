from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from rapport.api.urls import api
from rapport.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("accounts/", include("rapport.staff.urls")),
    path("customers/", include("rapport.customers.urls")),
    path("sales/", include("rapport.sales.urls")),
    path("communications/", include("rapport.communications.urls")),
    path("imports/", include("rapport.imports.urls")),
    path("analytics/", include("rapport.analytics.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
