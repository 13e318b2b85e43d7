from django.urls import path

from rapport.communications import views

app_name = "communications"
urlpatterns = [
    path("", views.interaction_list, name="interaction_list"),
    path(
        "customers/<int:customer_pk>/interactions/",
        views.interaction_create,
        name="interaction_create",
    ),
    path(
        "customers/<int:customer_pk>/details/<int:pk>/archive/",
        views.detail_archive,
        name="detail_archive",
    ),
]
