from django.urls import path

from rapport.recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("", views.index, name="index"),
    path("audience/", views.audience, name="audience"),
    path("products/<int:pk>/customers/", views.product_audience, name="product_audience"),
]
