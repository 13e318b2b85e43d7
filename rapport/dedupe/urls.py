from django.urls import path

from rapport.dedupe import views

app_name = "dedupe"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("search/", views.search, name="search"),
    path("<int:pk>/not-same/", views.not_same, name="not_same"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("decisions/", views.decisions, name="decisions"),
    path("decisions/<int:pk>/withdraw/", views.decision_withdraw, name="decision_withdraw"),
    path("imports/<int:job_id>/", views.import_review, name="import_review"),
]
