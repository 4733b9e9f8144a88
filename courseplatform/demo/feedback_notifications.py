"""Demo feedback notifications: the decisions and peer reviews the rubrics step made already
told their students (recorded by the review's own transaction); this step tells the comments
that waited their window (as the every-minute task would have) and leaves the first student
with feedback notifications both read and unread. No e-mail leaves: demo addresses are not
real. Idempotent: the reminder log and the events' unique keys make a second run tell nothing."""

import datetime

from django.conf import settings
from django.utils import timezone

from courseplatform.demo import DemoContext
from notifications.models import FEEDBACK_KINDS, Notification
from notifications.services import feedback_deliver_due, notification_mark_read, reminders_deliver


def seed(demo: DemoContext) -> None:
    # Decisions recorded by this seeding are delivered here, in the site only, before the
    # deliveries enqueued on commit run (they then find nothing left to send).
    reminders_deliver(now=timezone.now(), send_email=False)
    # From the present instant, not demo.now: the comments made by this run (after demo.now)
    # are told by this run, so a second run finds nothing left to tell.
    released, delivered, _ = feedback_deliver_due(
        now=timezone.now() + datetime.timedelta(seconds=settings.FEEDBACK_NOTIFY_WINDOW), send_email=False
    )
    sam = demo.students[0]
    told = list(Notification.objects.filter(recipient=sam, kind__in=FEEDBACK_KINDS).order_by("created_at", "pk"))
    # The older half read, the newer half unread: the list and the weekly digest show both.
    for notification in told[: len(told) // 2]:
        if notification.read_at is None:
            notification_mark_read(notification=notification)
    demo.write(
        f"Feedback notifications: {sum(1 for n in told if n.read_at is None)} unread and "
        f"{sum(1 for n in told if n.read_at is not None)} read for {sam.display_name}"
        + (f"; {released} batch(es) of comments told." if released else ".")
    )
