"""What notifications holds about a person (see core.privacy): the messages shown to them,
their preferences, the log of reminders sent to them and the feedback events waiting to be
told to them.

Erasure deletes all three, and replaces every mention of the person's name or address in
messages and reminders kept for others (a mentor's "review waiting" line names the student)
by the pseudonym. The retention sweep deletes messages and delivered reminder log rows older
than RETENTION_NOTIFICATION_DAYS (a reminder's period is long past by then, so forgetting
its log row cannot make it go out again).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive

from .models import FeedbackEvent, Notification, NotificationPreference, ReminderLog


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "notifications.json",
        {
            "messages": [
                {
                    "kind": n.kind,
                    "title": n.title,
                    "body": n.body,
                    "url": n.url,
                    "created_at": n.created_at.isoformat(),
                    "read_at": _iso(n.read_at),
                }
                for n in Notification.objects.for_user(user)
            ],
            "preferences": [
                {"kind": p.kind, "email": p.email, "in_app": p.in_app}
                for p in NotificationPreference.objects.filter(user=user)
            ],
            "reminders": [
                {
                    "kind": r.kind,
                    "about": r.subject_key,
                    "period": r.period_key,
                    "title": r.title,
                    "status": r.status,
                    "emailed": r.emailed,
                    "sent_at": _iso(r.sent_at),
                }
                for r in ReminderLog.objects.filter(recipient=user)
            ],
            "feedback_waiting": [
                {"kind": e.kind, "line": e.line, "url": e.url, "created_at": e.created_at.isoformat()}
                for e in FeedbackEvent.objects.filter(recipient=user, log__isnull=True)
            ],
        },
    )


def _mentioning(erasure: Erasure, queryset, fields: list[str]):
    condition = Q()
    for former in erasure.former_strings:
        if former:
            for name in fields:
                condition |= Q(**{f"{name}__icontains": former})
    return queryset.filter(condition) if condition else queryset.none()


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    erasure.count("notifications deleted", Notification.objects.filter(recipient=user).delete()[0])
    erasure.count("notification preferences deleted", NotificationPreference.objects.filter(user=user).delete()[0])
    erasure.count("reminder log rows deleted", ReminderLog.objects.filter(recipient=user).delete()[0])
    erasure.count("feedback events deleted", FeedbackEvent.objects.filter(recipient=user).delete()[0])
    renamed = 0
    for note in _mentioning(erasure, Notification.objects.all(), ["title", "body"]):
        note.title, note.body = erasure.scrub_text(note.title)[:200], erasure.scrub_text(note.body)
        note.save(update_fields=["title", "body"])
        renamed += 1
    logs = ReminderLog.objects.annotate(context_text=Cast("context", TextField()))
    for log in _mentioning(erasure, logs, ["title", "body", "context_text"]):
        log.title, log.body = erasure.scrub_text(log.title)[:200], erasure.scrub_text(log.body)
        log.context = _scrub_json(erasure, log.context)
        log.save(update_fields=["title", "body", "context"])
        renamed += 1
    # A line told to someone else may quote the person's name ("Sam replied: …").
    for event in _mentioning(erasure, FeedbackEvent.objects.all(), ["line"]):
        event.line = erasure.scrub_text(event.line)[:300]
        event.save(update_fields=["line"])
        renamed += 1
    erasure.count("mentions in others' messages replaced", renamed)


def _scrub_json(erasure: Erasure, value):
    if isinstance(value, str):
        return erasure.scrub_text(value)
    if isinstance(value, list):
        return [_scrub_json(erasure, v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(erasure, v) for k, v in value.items()}
    return value


def _retention() -> dict[str, int]:
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_NOTIFICATION_DAYS)
    messages, _ = Notification.objects.filter(created_at__lt=cutoff).delete()
    logs, _ = ReminderLog.objects.filter(
        created_at__lt=cutoff, status__in=[ReminderLog.Status.SENT, ReminderLog.Status.FAILED]
    ).delete()
    return {"notifications": messages, "reminder log rows": logs}


PROVIDER = DataProvider(
    label="Notifications",
    models=(
        "notifications.Notification",
        "notifications.NotificationPreference",
        "notifications.ReminderLog",
        "notifications.FeedbackEvent",
    ),
    export=_export,
    erase=_erase,
    retention=_retention,
)
