from django.urls import path

from rapport.sales import views

app_name = "sales"
urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/<int:pk>/", views.product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/new/", views.order_create, name="order_create"),
    path("orders/new/customers/", views.order_customer_options, name="order_customer_options"),
    path("orders/new/products/", views.order_product_options, name="order_product_options"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("exchange-rates/", views.exchange_rates, name="exchange_rates"),
]
