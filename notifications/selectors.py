"""Notification reads shared by pages and the navigation."""

import datetime

from django.db.models import Count, IntegerField, Min, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from cohorts.models import Membership
from cohorts.selectors import roles_for_user

from .models import Kind, Notification, NotificationPreference, ReminderLog
from .reminders import registered_kinds


def notifications_for_user(user: User, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The person's notifications, newest first (paginated by the page); only the unread
    (True) or read (False) ones when asked."""
    notifications = Notification.objects.for_user(user).order_by("-created_at", "-pk")
    if unread is None:
        return notifications
    return notifications.unread() if unread else notifications.read()


# Who each kind reaches; the kinds not listed reach everyone (a reply to one's comment reaches
# mentors, instructors and peer reviewers alike; anyone may ask for a report).
_KINDS_FOR_STUDENTS = {
    Kind.DEADLINE_APPROACHING,
    Kind.OVERDUE,
    Kind.PEER_REVIEW_DUE,
    Kind.RETROSPECTIVE_MISSING,
    Kind.CHANGES_REQUESTED,
    Kind.ACCEPTED,
    Kind.PEER_REVIEW_RECEIVED,
    Kind.COMMENT_ON_WORK,
}
_KINDS_FOR_TEACHERS = {Kind.REVIEW_WAITING, Kind.THREAD_ADDRESSED}
# The kinds that are not reminders of the sweep, in the order the preferences page lists them.
_EVENT_KINDS = [
    Kind.CHANGES_REQUESTED,
    Kind.ACCEPTED,
    Kind.PEER_REVIEW_RECEIVED,
    Kind.COMMENT_ON_WORK,
    Kind.COMMENT_REPLY,
    Kind.THREAD_ADDRESSED,
    Kind.REPORT_READY,
    Kind.SYSTEM,
]


def preference_rows(user: User) -> list[tuple[str, str, bool, bool]]:
    """(kind, label, e-mail on, in-app on) for every kind this person can receive, given
    their roles (two queries). Someone with no role yet sees every kind, to choose ahead."""
    stored = {pref.kind: (pref.email, pref.in_app) for pref in NotificationPreference.objects.filter(user=user)}
    kinds = [reminder_kind.kind for reminder_kind in registered_kinds()] + _EVENT_KINDS
    roles = roles_for_user(user)
    if roles:
        if Membership.Role.STUDENT not in roles:
            kinds = [kind for kind in kinds if kind not in _KINDS_FOR_STUDENTS]
        if not roles & Membership.TEACHING_ROLES:
            kinds = [kind for kind in kinds if kind not in _KINDS_FOR_TEACHERS]
    return [(kind, Kind(kind).label, *stored.get(kind, (True, True))) for kind in kinds]


def unread_count_subquery(user_ref) -> Coalesce:
    """The unread count of the user `user_ref` points at, for annotating a query (the
    navigation reads it in the same query as the person's roles)."""
    counts = (
        Notification.objects.filter(recipient=user_ref, read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")[:1]
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def reminder_delivery_backlog(now: datetime.datetime | None = None) -> dict[str, float]:
    """Reminders by delivery state (pending, sending, failed; sent ones are not counted, so
    the index's status prefix narrows the read), and the age of the oldest still waiting:
    what the reminder-delivery SLO watches. One query on the (status, created_at) index."""
    now = now or timezone.now()
    waiting = (ReminderLog.Status.PENDING, ReminderLog.Status.SENDING)
    rows = (
        ReminderLog.objects.filter(status__in=[*waiting, ReminderLog.Status.FAILED])
        .values("status")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    )
    backlog: dict[str, float] = {status: 0 for status in ReminderLog.Status.values if status != ReminderLog.Status.SENT}
    oldest = None
    for row in rows:
        backlog[row["status"]] = row["count"]
        if row["status"] in waiting and row["oldest"] and (oldest is None or row["oldest"] < oldest):
            oldest = row["oldest"]
    backlog["oldest_waiting_seconds"] = (now - oldest).total_seconds() if oldest else 0.0
    return backlog
