from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("<slug:slug>/", views.cohort_detail, name="detail"),
    path("<slug:slug>/people/search/", views.people_search, name="people_search"),
    path("<slug:slug>/members/add/", views.membership_add, name="membership_add"),
    path("<slug:slug>/members/<int:pk>/remove/", views.membership_remove, name="membership_remove"),
    path("<slug:slug>/invitations/", views.invitation_create, name="invitation_create"),
    path("<slug:slug>/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("<slug:slug>/roster/", views.roster_import, name="roster_import"),
    path("<slug:slug>/roster/confirm/", views.roster_import_confirm, name="roster_import_confirm"),
    path("<slug:slug>/mentors/assign/", views.mentor_assign, name="mentor_assign"),
    path("<slug:slug>/mentors/<int:pk>/unassign/", views.mentor_unassign, name="mentor_unassign"),
    path("<slug:slug>/extensions/grant/", views.extension_grant, name="extension_grant"),
    path("<slug:slug>/extensions/<int:pk>/revoke/", views.extension_revoke, name="extension_revoke"),
]
