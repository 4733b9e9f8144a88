from django.urls import path

from . import views

app_name = "lti"

urlpatterns = [
    path("jwks.json", views.jwks, name="jwks"),
]
