from django.urls import path

from rapport.privacy import views

app_name = "privacy"
urlpatterns = [
    path("customers/<int:pk>/export/", views.access_export, name="export"),
    path("customers/<int:pk>/export.json", views.access_export_json, name="export_json"),
    path("customers/<int:pk>/erase/", views.erase, name="erase"),
    path("reads/", views.reads, name="reads"),
]
