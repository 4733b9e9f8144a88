from django.urls import path

from . import views

app_name = "calendars"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:action>/", views.feed_action, name="action"),
    path("feeds/<int:pk>/<str:secret>.ics", views.feed, name="feed"),
]
