"""The administrator's staff pages, under /staff/."""

from django.urls import path

from rapport.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.staff_list, name="list"),
    path("invite/", views.staff_invite, name="invite"),
    path("<int:pk>/", views.staff_detail, name="detail"),
    path("<int:pk>/password-link/", views.staff_password_link, name="password_link"),
    path("<int:pk>/deactivate/", views.staff_deactivate, name="deactivate"),
    path("<int:pk>/reactivate/", views.staff_reactivate, name="reactivate"),
]
