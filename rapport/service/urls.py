from django.urls import path

from rapport.service import views, views_public

app_name = "service"
urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<int:customer_pk>/requests/", views.request_create, name="request_create"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/visits/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/done/", views.visit_done, name="visit_done"),
    path("calendar/", views.calendar, name="calendar"),
    path(
        "customers/<int:customer_pk>/promises/", views.commitment_create, name="commitment_create"
    ),
    path("promises/<int:pk>/close/", views.commitment_close, name="commitment_close"),
    path("promises/", views.promises, name="promises"),
    path("maintenance/run/", views.maintenance_run, name="maintenance_run"),
    path("notices/", views.recall_list, name="recall_list"),
    path("notices/new/", views.recall_create, name="recall_create"),
    path("notices/<int:pk>/", views.recall_detail, name="recall_detail"),
    path("notices/<int:pk>/notify/", views.recall_notify, name="recall_notify"),
    path("notice-answers/<int:pk>/", views.notice_answer, name="notice_answer"),
    # Public: anyone may read the published notices.
    path("public/notices/", views_public.notices, name="public_notices"),
    path("public/notices/<int:pk>/", views_public.notice, name="public_notice"),
    path("public/knowledge/", views_public.knowledge, name="public_knowledge"),
    path("public/knowledge/<int:pk>/", views_public.knowledge_article, name="public_article"),
    path("training/", views.training, name="training"),
]
