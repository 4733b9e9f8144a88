from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("<slug:slug>/", views.cohort_detail, name="detail"),
    path("<slug:slug>/members/add/", views.membership_add, name="membership_add"),
    path("<slug:slug>/members/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("<slug:slug>/mentors/assign/", views.mentor_assign, name="mentor_assign"),
    path("<slug:slug>/mentors/<int:pk>/unassign/", views.mentor_unassign, name="mentor_unassign"),
    path("<slug:slug>/extensions/grant/", views.extension_grant, name="extension_grant"),
    path("<slug:slug>/extensions/<int:pk>/revoke/", views.extension_revoke, name="extension_revoke"),
]
