from django.urls import path

from rapport.customers import views

app_name = "customers"
urlpatterns: list = []
