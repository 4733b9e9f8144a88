"""In-app notifications, per-kind preferences, and the reminder log that makes every
reminder go out exactly once."""

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    DEADLINE_APPROACHING = "deadline_approaching", "A deadline is approaching (a week or a capstone deliverable)"
    OVERDUE = "overdue", "Work is overdue"
    PEER_REVIEW_DUE = "peer_review_due", "A peer review is due"
    REVIEW_WAITING = "review_waiting", "A submission waits for your review"
    RETROSPECTIVE_MISSING = "retrospective_missing", "A retrospective is not written yet"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest"
    SYSTEM = "system", "Messages about your account and jobs"
    # Feedback events (notifications.feedback): told once per event, after the deciding commit.
    CHANGES_REQUESTED = "changes_requested", "Your mentor requested changes"
    ACCEPTED = "accepted", "Your work was accepted"
    PEER_REVIEW_RECEIVED = "peer_review_received", "A peer reviewed your work"
    COMMENT_ON_WORK = "comment_on_work", "A comment or reply on your work"
    COMMENT_REPLY = "comment_reply", "A reply to your comment"
    THREAD_ADDRESSED = "thread_addressed", "A student marked a comment thread addressed"
    REPORT_READY = "report_ready", "A report you asked for is ready"


# The kinds that tell someone about feedback on work (the weekly digest lists the unread ones).
FEEDBACK_KINDS = (
    Kind.CHANGES_REQUESTED,
    Kind.ACCEPTED,
    Kind.PEER_REVIEW_RECEIVED,
    Kind.COMMENT_ON_WORK,
    Kind.COMMENT_REPLY,
    Kind.THREAD_ADDRESSED,
)


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        return self.filter(recipient=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)

    def read(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=False)


class Notification(models.Model):
    """A message shown on the site, with an unread count in the navigation."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads (a site path).")
    reminder = models.OneToOneField(
        "ReminderLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="notification"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_recent"),
            models.Index(
                fields=["recipient"], condition=models.Q(read_at__isnull=True), name="notification_recipient_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """Whether a person receives one kind of reminder by e-mail and on the site. No row
    means both are on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    email = models.BooleanField(default=True)
    in_app = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind}"


class ReminderLog(models.Model):
    """One reminder to one person about one subject for one period. Inserting the row is the
    gate: the unique constraint lets exactly one sweep create it, however many run at once.
    The row keeps what to say, so a delivery interrupted by a crash is retried by the next
    sweep instead of being lost."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be delivered"
        SENDING = "sending", "Being delivered"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Gave up delivering"

    WAITING = (Status.PENDING, Status.SENDING)  # the rows a delivery may claim (partial index)

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_logs")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(max_length=120, help_text="What it is about, e.g. “cohort:3:week:6”.")
    period_key = models.CharField(max_length=80, help_text="Which occurrence, e.g. “48h:2026-10-18T21:59Z”.")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    context = models.JSONField(default=dict, blank=True, help_text="What the e-mail template shows.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    emailed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_key", "period_key"], name="reminder_once_per_period"
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="reminderlog_status_created"),
            # Only the rows waiting for delivery: a delivery batch reads them in (recipient, id)
            # order from where the last stopped, however many sent reminders the log keeps, and
            # a person's rows arrive together (one e-mail).
            models.Index(
                fields=["recipient", "id"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="reminderlog_waiting_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient} ({self.subject_key}, {self.period_key})"


class FeedbackEventQuerySet(models.QuerySet):
    def unbatched(self) -> "FeedbackEventQuerySet":
        return self.filter(log__isnull=True)


class FeedbackEvent(models.Model):
    """One thing said about a piece of work that one person is to be told about (a comment,
    a reply, a thread marked addressed), waiting to be told in a batch.

    The row is written by the receiver of the feedback app's signal inside the transaction
    that made the change, so it exists exactly when the change does; the unique key makes a
    repeated signal harmless. It is told once, as part of one `ReminderLog` (`log`): the
    decision or peer review it was made for (`awaits_review`: made by a reviewer whose review
    of that revision is still to come), or, when `release_at` passes, a batch of everything
    waiting for that person and kind (notifications.services.feedback_batches_release)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback_events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    event_key = models.CharField(max_length=120, help_text="What happened, e.g. “comment:41”.")
    revision = models.ForeignKey(
        "submissions.Revision", on_delete=models.CASCADE, related_name="feedback_events", null=True, blank=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_peer = models.BooleanField(default=False, help_text="Said by a peer reviewer (never named).")
    line = models.CharField(max_length=300, help_text="One line saying what happened, as the recipient may read it.")
    url = models.CharField(max_length=500, blank=True, help_text="The exact place (a site path with a fragment).")
    awaits_review = models.BooleanField(default=False)
    release_at = models.DateTimeField(help_text="Told in a batch from this instant unless a review took it first.")
    created_at = models.DateTimeField(auto_now_add=True)
    log = models.ForeignKey(
        ReminderLog, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback_events"
    )

    objects = FeedbackEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "event_key"], name="feedback_event_once"),
        ]
        indexes = [
            models.Index(fields=["release_at"], condition=models.Q(log__isnull=True), name="feedback_event_waiting"),
            models.Index(
                fields=["recipient", "revision"], condition=models.Q(log__isnull=True), name="feedback_event_revision"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient}: {self.line}"
