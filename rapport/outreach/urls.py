from django.urls import path

from rapport.outreach import views

app_name = "outreach"
urlpatterns = [
    path("moments/", views.moments, name="moments"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/progress/", views.campaign_progress, name="campaign_progress"),
    path("campaigns/<int:pk>/send/", views.campaign_send, name="campaign_send"),
    path("coupons/", views.coupon_list, name="coupons"),
    path("events/", views.event_list, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event"),
]
