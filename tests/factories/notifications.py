import factory
from django.utils import timezone

from notifications.models import FeedbackEvent, Kind, Notification, NotificationPreference, ReminderLog

from .accounts import UserFactory

__all__ = ["NotificationFactory", "NotificationPreferenceFactory", "ReminderLogFactory", "FeedbackEventFactory"]


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = Kind.DEADLINE_APPROACHING
    title = factory.Sequence(lambda n: f"Week {n % 24 + 1} is due in less than 48 hours")
    body = "Your work for this week is due on Sunday at 23:59."
    url = "/"


class NotificationPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotificationPreference
        django_get_or_create = ["user", "kind"]

    user = factory.SubFactory(UserFactory)
    kind = Kind.DEADLINE_APPROACHING
    email = True
    in_app = True


class ReminderLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderLog

    recipient = factory.SubFactory(UserFactory)
    kind = Kind.OVERDUE
    subject_key = factory.Sequence(lambda n: f"cohort:1:week:{n % 24 + 1}")
    period_key = "due:2026-09-13T21:59Z"
    title = "Week 1 is overdue"
    body = "Your work for week 1 was due on Sunday."
    url = "/"


class FeedbackEventFactory(factory.django.DjangoModelFactory):
    """A comment on the recipient's work waiting to be told in a batch (notifications.feedback)."""

    class Meta:
        model = FeedbackEvent

    recipient = factory.SubFactory(UserFactory)
    kind = Kind.COMMENT_ON_WORK
    event_key = factory.Sequence(lambda n: f"comment:{n + 1}")
    line = "Your mentor commented on the concept analysis of week 1."
    url = "/work/1/#thread-1"
    release_at = factory.LazyFunction(timezone.now)
