from django.urls import path

from rapport.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.index, name="index"),
    path("segments/", views.segments, name="segments"),
    path("future/", views.future, name="future"),
    path("leaky-bucket/", views.leaky_bucket, name="leaky_bucket"),
    path("loyalty/", views.loyalty, name="loyalty"),
    path("profit/", views.profit, name="profit"),
    path("products/", views.products, name="products"),
    path("promotions/", views.promotion, name="promotion"),
    path("switching-cost/", views.switching, name="switching"),
    path("customers/<int:pk>/churn/", views.churn_record, name="churn_record"),
]
