"""Pages a customer opens from a message, without signing in (the link's token is the key)."""

from django.urls import path

from rapport.outreach import public_views

app_name = "outreach_public"
urlpatterns = [
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("rsvp/<str:token>/", public_views.rsvp, name="rsvp"),
    path("newsletter/<str:language>/", public_views.newsletter_archive, name="newsletter"),
    path("webhook/", public_views.webhook, name="webhook"),
]
