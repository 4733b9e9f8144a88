"""Bookkeeping for background work: the outbox of tasks not yet handed to the broker, and
one row per task run that counts its deliveries (see core/queue.py and core/tasks.py)."""

from django.db import models


class QueuedTask(models.Model):
    """A task that could not be handed to the broker when it was asked for (the broker was
    down). `dispatch_outbox` sends it once the broker answers again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the broker"
        DISPATCHED = "dispatched", "Handed to the broker"

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=1, help_text="Times publishing was tried.")
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="queuedtask_status_created")]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.get_status_display().lower()})"


class TaskRun(models.Model):
    """One task (by its Celery id) and what happened to it. A delivery that finds the run
    still marked running means the previous worker died mid-task; after a bounded number
    of such lost deliveries the run is marked failed and the task is not run again."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Waiting to retry"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    deliveries = models.PositiveIntegerField(default=0, help_text="Times a worker started this task.")
    lost_deliveries = models.PositiveIntegerField(default=0, help_text="Times a worker died while running it.")
    retries = models.PositiveIntegerField(default=0, help_text="Celery's retry number of the latest delivery.")
    last_error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="taskrun_status_created")]

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id} ({self.status})"
