from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("exports/", views.export_create, name="export_create"),
    path("exports/<int:pk>/", views.export_detail, name="export"),
    path("exports/<int:pk>/status.json", views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("erasure/", views.erasure_create, name="erasure_create"),
    path("erasure/<int:pk>/cancel/", views.erasure_cancel, name="erasure_cancel"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/exports/", views.export_create, name="person_export_create"),
    path("people/<int:pk>/erasure/", views.erasure_create, name="person_erasure_create"),
]
