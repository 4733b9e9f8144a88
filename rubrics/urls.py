from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "rubrics"

urlpatterns = [
    path("", views.review_queue, name="queue"),
    path("revisions/<int:pk>/", views.score_revision, name="score"),
    path("revisions/<int:pk>/draft/", views.score_draft, name="score_draft"),
    path("revisions/<int:revision_pk>/evidence/<int:artifact_pk>/", views.revision_artifact, name="artifact"),
    path("feedback/<int:pk>/", views.feedback, name="feedback"),
    path("works/<int:pk>/self-assessment/", views.self_assess, name="self_assess"),
    path("peer/", views.peer_queue, name="peer_queue"),
    path("peer/<int:pk>/", views.peer_review, name="peer_review"),
    # The gradebook moved to the insights app (insights/views.py says why); old links still work.
    path(
        "cohorts/<slug:slug>/gradebook/",
        RedirectView.as_view(pattern_name="insights:gradebook", query_string=True, permanent=True),
        name="gradebook",
    ),
    path("cohorts/<slug:slug>/peer-assign/", views.peer_assign_now, name="peer_assign"),
    path("cohorts/<slug:slug>/students/<int:student_id>/progress/", views.student_progress, name="progress"),
    path("cohorts/<slug:slug>/mastery-rule/", views.mastery_rule, name="mastery_rule"),
    path("calibration/", views.calibration_list, name="calibration_list"),
    path("calibration/new/<slug:slug>/", views.calibration_create, name="calibration_create"),
    path("calibration/<int:pk>/", views.calibration_detail, name="calibration"),
]
