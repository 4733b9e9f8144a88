from django.urls import path

from . import views

app_name = "submissions"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:slug>/", views.dashboard, name="dashboard_cohort"),
    path("dashboard/<slug:slug>/students/<int:student_id>/", views.dashboard, name="student_dashboard"),
    path("work/<slug:slug>/weeks/<int:number>/", views.work_open_week, name="open_week"),
    path("work/<slug:slug>/capstone/<int:deliverable_id>/", views.work_open_deliverable, name="open_deliverable"),
    path("work/<int:pk>/", views.work_detail, name="work"),
    path("work/<int:pk>/submit/", views.work_submit, name="submit"),
    path("work/<int:pk>/evidence/upload/", views.artifact_upload, name="artifact_upload"),
    path("work/<int:pk>/evidence/link/", views.artifact_link, name="artifact_link"),
    path("work/<int:pk>/evidence/<int:artifact_id>/remove/", views.artifact_remove, name="artifact_remove"),
    path("work/<int:pk>/improve-items/<str:key>/", views.improve_item_status, name="improve_item_status"),
    path("work/<int:pk>/risks/add/", views.risk_add, name="risk_add"),
    path("work/<int:pk>/risks/<int:risk_id>/close/", views.risk_close, name="risk_close"),
    path("work/<int:pk>/revisions/<int:number>/", views.revision_detail, name="revision"),
    path("work/<int:pk>/diff/", views.revision_diff, name="diff"),
    path("evidence/<int:pk>/download/", views.artifact_download, name="artifact_download"),
    path("evidence/<int:pk>/preview/", views.artifact_preview, name="artifact_preview"),
]
