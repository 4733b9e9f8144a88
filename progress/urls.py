from django.urls import path

from . import views

app_name = "progress"

urlpatterns = [
    path("grades/", views.my_grades, name="my_grades"),
    path("mastery/", views.my_mastery, name="my_mastery"),
    path("<slug:slug>/students/<int:student_id>/grades/", views.grades, name="grades"),
    path("<slug:slug>/students/<int:student_id>/mastery/", views.mastery, name="mastery"),
]
