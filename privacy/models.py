"""A person's data export (an archive built in the background) and erasure request (an
audited deletion after a confirmation and a grace period).

An `ErasureRequest` is the audit record of an erasure: who asked, when it was confirmed,
when it ran, and how many of each thing it removed. It survives the erasure (its `user` is
the pseudonymised account by then) and holds no personal data itself.
"""

from django.conf import settings
from django.db import models


class DataExport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being built"
        SUCCEEDED = "succeeded", "Ready"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0–100.")
    phase = models.CharField(max_length=100, blank=True, help_text="What the build is doing now.")
    error = models.TextField(blank=True)
    file = models.FileField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The archive is deleted after this.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="export_progress_at_most_100"),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]), name="export_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="dataexport_user_created")]

    def __str__(self) -> str:
        return f"Data export #{self.pk} of user {self.user_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ErasureRequestQuerySet(models.QuerySet):
    def open(self) -> "ErasureRequestQuerySet":
        return self.filter(status__in=ErasureRequest.OPEN_STATES)

    def due(self, now) -> "ErasureRequestQuerySet":
        return self.filter(status=ErasureRequest.Status.SCHEDULED, due_at__lte=now)


class ErasureRequest(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Confirmed; waiting for the grace period to end"
        CANCELLED = "cancelled", "Cancelled"
        RUNNING = "running", "Being erased"
        COMPLETED = "completed", "Erased"
        FAILED = "failed", "Failed; will be tried again"

    OPEN_STATES = (Status.SCHEDULED, Status.RUNNING, Status.FAILED)

    class Confirmation(models.TextChoices):
        PASSWORD = "password", "The person re-entered their password"
        ADMIN = "admin", "Started by an administrator"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmation = models.CharField(max_length=10, choices=Confirmation.choices)
    reason = models.CharField(max_length=300, blank=True, help_text="An administrator's note (no personal data).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    requested_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the erasure runs (the grace period ends).")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    pseudonym = models.CharField(max_length=60, blank=True)
    counts = models.JSONField(default=dict, blank=True, help_text="What the erasure removed, by kind.")
    error = models.TextField(blank=True)

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["scheduled", "running", "failed"]),
                name="erasure_one_open_request_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["scheduled", "cancelled", "running", "completed", "failed"]),
                name="erasure_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("confirmed_at")), name="erasure_due_after_confirm"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="erasure_status_due")]

    def __str__(self) -> str:
        return f"Erasure request #{self.pk} ({self.get_status_display()})"

    @property
    def can_be_cancelled(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.FAILED)
