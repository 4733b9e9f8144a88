from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("preferences/", views.preferences, name="preferences"),
    path("preferences/test-email/", views.preferences_test_email, name="test_email"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
