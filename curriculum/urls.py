from django.urls import path

from . import views

app_name = "curriculum"

urlpatterns = [
    path("", views.course_overview, name="home"),
    path("courses/<slug:slug>/", views.course_overview, name="course"),
    path("courses/<slug:slug>/weeks/<int:number>/", views.week_detail, name="week"),
]
