from django.urls import path

from rapport.outreach import views

app_name = "outreach"
urlpatterns = [
    path("moments/", views.moments, name="moments"),
]
