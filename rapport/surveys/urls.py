from django.urls import path

from rapport.surveys import views

app_name = "surveys"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/questions/", views.question_add, name="question_add"),
    path(
        "surveys/<int:pk>/questions/<int:question_pk>/remove/",
        views.question_remove,
        name="question_remove",
    ),
    path("surveys/<int:pk>/send/", views.survey_send, name="survey_send"),
    path("follow-ups/", views.follow_up_queue, name="follow_ups"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow_up_close"),
    path("follow-ups/<int:pk>/take/", views.follow_up_take, name="follow_up_take"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("ideas/new/", views.idea_create, name="idea_create"),
    path("ideas/<int:pk>/status/", views.idea_status, name="idea_status"),
]
