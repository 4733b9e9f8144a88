"""Report runs: one request for one report file, built in the background.

A run records what was asked (kind, format, cohort, student, and for a mentor the scope of
their own students), who asked, how far the build is and the produced file (kept through
Django's default storage). Building is `reports.services.report_build`; the Celery task
`reports.tasks.build_report` only calls it.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from cohorts.models import Cohort


class ReportRun(models.Model):
    class Kind(models.TextChoices):
        COHORT = "cohort", "Cohort progress report"
        STUDENT = "student", "Student progress report"
        GRADEBOOK = "gradebook", "Gradebook export"

    class Phase(models.TextChoices):
        COLLECTING = "collecting", "Collecting the data"
        LAYING_OUT = "laying_out", "Laying out the pages"
        WRITING = "writing", "Writing the file"

    class Format(models.TextChoices):
        CSV = "csv", "CSV (spreadsheet)"
        HTML = "html", "HTML (web page)"
        PDF = "pdf", "PDF (document)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STALLED = "stalled", "Stalled"
        SUCCEEDED = "succeeded", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=10, choices=Format.choices)
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="report_runs")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    parameters = models.JSONField(
        default=dict,
        blank=True,
        help_text='What was asked: {"cohort_id", "student_id", "mentor_id"} (mentor_id: only that mentor\'s students).',
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done, 0–100.")
    phase = models.CharField(max_length=12, choices=Phase.choices, blank=True, help_text="What the build is doing now.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a build of this run was started.")
    error = models.TextField(blank=True, help_text="Why the last build failed, in words a person can act on.")
    file = models.FileField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its build was last handed to the queue (request, retry, reconciler)."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the worker building it (every few seconds)."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_progress_at_most_100"),
            models.CheckConstraint(
                condition=~models.Q(kind="student") | models.Q(student__isnull=False),
                name="report_student_kind_has_student",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["cohort", "student", "gradebook"]), name="report_kind_valid"
            ),
            models.CheckConstraint(condition=models.Q(format__in=["csv", "html", "pdf"]), name="report_format_valid"),
        ]
        indexes = [models.Index(fields=["requested_by", "created_at"], name="reportrun_requester_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.format.upper()}) #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def is_stalled(self) -> bool:
        """Marked stalled by the reconciler, or running without a heartbeat for longer than
        REPORTS_STALLED_AFTER (its worker died; the reconciler will notice on its next round)."""
        if self.status == self.Status.STALLED:
            return True
        if self.status != self.Status.RUNNING:
            return False
        last_sign = self.heartbeat_at or self.started_at
        limit = timedelta(seconds=settings.REPORTS_STALLED_AFTER)
        return last_sign is not None and timezone.now() - last_sign > limit

    @property
    def mentor_id(self) -> int | None:
        return (self.parameters or {}).get("mentor_id")

    @property
    def content_type(self) -> str:
        return {
            self.Format.CSV: "text/csv; charset=utf-8",
            self.Format.HTML: "text/html; charset=utf-8",
            self.Format.PDF: "application/pdf",
        }[self.format]
