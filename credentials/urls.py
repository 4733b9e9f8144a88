from django.urls import path

from . import views

app_name = "credentials"

urlpatterns = [
    path(".well-known/did.json", views.did_document, name="did_document"),
    path("credentials/verify/", views.verify, name="verify"),
    path("credentials/status/<int:number>", views.status_list, name="status_list"),
    path("credentials/claim/<int:entry_id>/", views.claim, name="claim"),
    path("credentials/<uuid:pk>/", views.detail, name="detail"),
    path("credentials/<uuid:pk>.jwt", views.download_jwt, name="download_jwt"),
    path("credentials/<uuid:pk>.json", views.download_json, name="download_json"),
    path("credentials/<uuid:pk>/qr.svg", views.qr_code, name="qr"),
]
