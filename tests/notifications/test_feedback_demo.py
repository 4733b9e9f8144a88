"""The demo shows feedback notifications unread and read, and sends no e-mail."""

import pytest

from accounts.models import User
from notifications.models import FEEDBACK_KINDS, Kind, Notification, ReminderLog

pytestmark = pytest.mark.django_db


def test_the_demo_tells_feedback_in_the_site_only_read_and_unread(demo):
    # The demo was built as a deployment runs it: the deliveries enqueued on commit ran too,
    # and `demo.outbox` holds every e-mail the build sent.
    sam = User.objects.get(email="sam@demo.example")
    told = Notification.objects.filter(recipient=sam, kind__in=FEEDBACK_KINDS)
    assert told.filter(read_at__isnull=True).exists()
    assert told.filter(read_at__isnull=False).exists()
    kinds = set(Notification.objects.filter(kind__in=FEEDBACK_KINDS).values_list("kind", flat=True))
    assert {Kind.CHANGES_REQUESTED, Kind.ACCEPTED, Kind.PEER_REVIEW_RECEIVED} <= kinds
    # No feedback notification was e-mailed to a demo address (other steps send their own
    # mail, e.g. the cohort invitation).
    assert not ReminderLog.objects.filter(kind__in=[*FEEDBACK_KINDS, Kind.REPORT_READY], emailed=True).exists()
    titles = set(
        ReminderLog.objects.filter(kind__in=[*FEEDBACK_KINDS, Kind.REPORT_READY]).values_list("title", flat=True)
    )
    assert not [m.subject for m in demo.outbox if m.subject.removeprefix("[Course platform] ") in titles]
