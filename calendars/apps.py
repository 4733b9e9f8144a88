from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "calendars"
    verbose_name = "Calendar feeds"

    def ready(self) -> None:
        from accounts.panels import PROFILE

        from .panels import calendar_feed_on_profile

        PROFILE.register(calendar_feed_on_profile)
