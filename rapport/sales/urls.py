from django.urls import path

from rapport.sales import views

app_name = "sales"
urlpatterns: list = []
