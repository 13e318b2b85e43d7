from django.urls import path

from rapport.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/columns/", views.import_mapping, name="mapping"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/run/", views.import_run, name="run"),
    path("<int:pk>/retry/", views.import_retry, name="retry"),
    path("export/<slug:kind>.<slug:fmt>", views.export, name="export"),
]
