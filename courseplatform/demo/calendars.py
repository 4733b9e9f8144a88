"""Demo data of the calendars app: the first demo student and the first mentor have their
calendar feed on, so their profile shows the address and /calendar/ lists their due dates.
Idempotent: an existing feed keeps its address."""

from calendars.models import CalendarFeed
from calendars.selectors import feed_path
from calendars.services import feed_enable
from courseplatform.demo import DemoContext


def seed(demo: DemoContext) -> None:
    for person in (demo.students[0], demo.mentors[0]):
        if CalendarFeed.objects.filter(user=person).exists():
            continue
        feed = feed_enable(user=person)
        demo.write(f"Calendar: feed of {person.email} at {feed_path(feed)}")
