from django.urls import path

from rapport.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.record, name="record"),
    path("suggest/", views.suggest, name="suggest"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/", views.act, name="act"),
]
urlpatterns.append(path("dashboard/", views.dashboard, name="dashboard"))
urlpatterns.append(path("dashboard/refresh/", views.dashboard_refresh, name="dashboard_refresh"))
urlpatterns.append(path("inbox/", views.inbox, name="inbox"))
urlpatterns.append(path("notice/", views.notice, name="notice"))
urlpatterns.append(path("<int:pk>/attach/", views.attach, name="attach"))
urlpatterns.append(
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment")
)
