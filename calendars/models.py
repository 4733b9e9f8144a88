import secrets

from django.conf import settings
from django.db import models


def new_nonce() -> str:
    return secrets.token_hex(16)


class CalendarFeed(models.Model):
    """A person's private iCalendar feed. The address's secret is not stored: it is an HMAC of
    the row's id and nonce under the SECRET_KEY (calendars.selectors.feed_secret), so the page
    can show it again, a copy of the database alone opens no feed, and resetting the nonce
    retires the old address at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    nonce = models.CharField(max_length=32, default=new_nonce)
    created_at = models.DateTimeField(auto_now_add=True)
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
