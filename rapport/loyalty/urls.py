from django.urls import path

from rapport.loyalty import views

app_name = "loyalty"
urlpatterns = [
    path("", views.index, name="index"),
    path("customers/<int:customer_pk>/referrals/", views.tree, name="tree"),
    path("customers/<int:customer_pk>/points/", views.points, name="points"),
    path("customers/<int:customer_pk>/referral/", views.referral, name="referral"),
]
