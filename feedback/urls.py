from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("revisions/<int:pk>/threads/", views.thread_create, name="thread_create"),
    path("threads/<int:pk>/", views.thread_detail, name="thread"),
    path("threads/<int:pk>/reply/", views.thread_reply, name="reply"),
    path("threads/<int:pk>/addressed/", views.thread_addressed, name="addressed"),
    path("threads/<int:pk>/<str:action>/", views.thread_settle, name="settle"),
    path("comments/<int:pk>/<str:action>/", views.comment_change, name="comment"),
]
