from django.urls import path, re_path

from rapport.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/run/", views.import_run, name="run"),
    path("<int:pk>/retry/", views.import_retry, name="retry"),
    re_path(
        r"^export/(?P<kind>customers|organisations|products|orders)\.(?P<fmt>csv|xlsx)$",
        views.export,
        name="export",
    ),
]
