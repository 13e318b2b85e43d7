from django.urls import path

from rapport.customers import views, views_merge

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("new/", views.customer_create, name="create"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/delete/", views.customer_delete, name="delete"),
    path("<int:pk>/history/", views.customer_history, name="history"),
    path("<int:pk>/consent/", views.consent_set, name="consent_set"),
    path("<int:pk>/duplicates/", views_merge.customer_duplicates, name="duplicates"),
    path("<int:pk>/merge/<int:other_pk>/", views_merge.customer_merge, name="merge"),
    path("duplicates/", views_merge.duplicate_list, name="duplicate_list"),
    path("merges/<int:merge_pk>/undo/", views_merge.merge_undo, name="merge_undo"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation_detail"),
    path("organisations/<int:pk>/edit/", views.organisation_edit, name="organisation_edit"),
    path("organisations/<int:pk>/contacts/", views.contact_add, name="contact_add"),
    path(
        "organisations/<int:pk>/contacts/<int:contact_pk>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
]
