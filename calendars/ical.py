"""The feed as iCalendar (RFC 5545), written with the `icalendar` library: each event in its
cohort's time zone with the VTIMEZONE data for it, stable UIDs, SEQUENCE from the event."""

import datetime

from icalendar import Calendar, Event

from .selectors import CalendarEvent

PRODID = "-//Course platform//Calendar feed//EN"
# How often a client should fetch the feed again (REFRESH-INTERVAL, RFC 7986, and the older
# X-PUBLISHED-TTL that Outlook and Google read).
REFRESH = datetime.timedelta(hours=1)


def feed_ics(*, name: str, events: list[CalendarEvent], base_url: str, now: datetime.datetime) -> bytes:
    calendar = Calendar.new(prodid=PRODID, name=name, refresh_interval=REFRESH, method="PUBLISH")
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-PUBLISHED-TTL", REFRESH)
    for item in events:
        event = Event.new(
            uid=item.uid,
            summary=item.summary,
            description=f"{item.description}\n{base_url}{item.path}",
            start=item.start,
            end=item.start,
            stamp=now,
            sequence=item.sequence,
            url=f"{base_url}{item.path}",
            categories=list(item.categories),
            transparency="TRANSPARENT",  # a due date does not make the person busy
        )
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_name(display_name: str) -> str:
    return f"Due dates of {display_name}"
