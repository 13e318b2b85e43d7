from django.urls import path

from rapport.loyalty import public_views

app_name = "loyalty_public"
urlpatterns = [path("r/<str:code>/", public_views.referral, name="referral")]
