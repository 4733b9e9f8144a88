from django.urls import path

from . import views

app_name = "lti"

urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
    path("login/", views.login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("link/", views.link, name="link"),
    path("setup/", views.setup, name="setup"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("cohorts/<slug:slug>/grades/", views.grade_syncs, name="grade_syncs"),
    path("cohorts/<slug:slug>/grades/<int:pk>/retry/", views.grade_sync_retry_view, name="grade_sync_retry"),
    path("cohorts/<slug:slug>/roster/", views.roster, name="roster"),
    path("cohorts/<slug:slug>/roster/preview/", views.roster_preview_view, name="roster_preview"),
    path("cohorts/<slug:slug>/roster/<int:pk>/", views.roster_detail, name="roster_detail"),
    path("cohorts/<slug:slug>/roster/<int:pk>/apply/", views.roster_apply_view, name="roster_apply"),
    path("register/", views.register, name="register"),
]
