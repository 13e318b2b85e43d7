"""The customer portal's complaint pages, mounted under /portal/complaints/ (public: they check
the signed-in customer or the private link instead of a staff permission)."""

from django.urls import path

from rapport.complaints import inbound, portal

app_name = "complaints_portal"

urlpatterns = [
    path("new/", portal.portal_file, name="file"),
    # without signing in: file, then confirm through the private link mailed to the sender
    path("file/", portal.public_file, name="public_file"),
    path("confirm/<str:token>/", portal.public_confirm, name="confirm"),
    path("inbound-mail/", inbound.webhook, name="inbound_mail"),
    path("<str:reference>/", portal.portal_detail, name="detail"),
]
