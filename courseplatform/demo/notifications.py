"""Demo notifications: run the real reminder sweep at the demo's "now", so the demo shows
what the platform has already sent (the weekly digest, overdue work, submissions waiting
for review, retrospectives to write, deadlines approaching when the week is nearly due).
No e-mail leaves: demo addresses are not real. Idempotent through the reminder log."""

from courseplatform.demo import DemoContext
from notifications.models import Notification
from notifications.services import notification_mark_read, reminders_sweep


def seed(demo: DemoContext) -> None:
    result = reminders_sweep(now=demo.now, send_email=False)
    # Sam has read the oldest of his notifications already, so his list shows both states.
    received = list(Notification.objects.filter(recipient=demo.students[0]).order_by("created_at", "pk")[:2])
    if len(received) == 2:
        notification_mark_read(notification=received[0])
    if result.delivered:
        demo.write(f"Notifications: {result.delivered} reminder(s) delivered in the site (no e-mail sent).")
