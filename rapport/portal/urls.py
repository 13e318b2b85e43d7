from django.urls import path

from rapport.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("code/", views.verify, name="verify"),
    path("sign-out/", views.sign_out_view, name="sign_out"),
    path("l/<str:token>/", views.link, name="link"),
]
