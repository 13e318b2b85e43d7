from django.urls import path

from rapport.communications import views

app_name = "communications"
urlpatterns: list = []
