from core.panels import Panel

from .selectors import feed_for_user, feed_path


def calendar_feed_on_profile(*, user, request) -> list[Panel]:
    """The profile page's "Calendar" part: the feed's address when it is on (one query)."""
    feed = feed_for_user(user)
    url = request.build_absolute_uri(feed_path(feed)) if feed else ""
    return [Panel("calendars/_profile_panel.html", {"feed_url": url}, placement="top")]
