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
]
