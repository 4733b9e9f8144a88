"""The base class for every background task, and the platform's housekeeping tasks.

Write a task like this (ids in, one service call, nothing else):

    @durable_task(name="reports.generate")
    def generate_report(run_id: int) -> None:
        report_generate(run_id=run_id)

and start it with `core.queue.enqueue(generate_report, run.pk)`.

`DurableTask` gives every task:
- acks_late + reject_on_worker_lost: a worker that dies mid-task (killed, out of memory,
  machine lost) leaves the message on the broker and another worker runs it again;
- retries with exponential backoff and jitter on transient errors (database or broker
  connection lost, SMTP server away), at most `max_retries` times;
- a bounded number of lost deliveries: each start is counted in `core.TaskRun`; a start
  of the same message (same retry number) that finds the previous one still "running"
  means that worker died. A retry's message carries a higher retry number, so a retry is
  never mistaken for a death, even when its predecessor could not record itself. After
  CELERY_TASK_MAX_LOST_DELIVERIES such deaths the run is marked failed with a clear
  error, `on_give_up` is called (e.g. to mark a report failed) and the task is not run
  again, so a task that kills its worker cannot loop forever.
Tasks must be idempotent: running one twice must have the effect of running it once.
"""

import logging
import smtplib
import traceback
from typing import Any

import kombu.exceptions
import redis.exceptions
from celery import Task, shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from .models import TaskRun
from .privacy import PROVIDER
from .queue import dispatch_outbox as dispatch

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)


DATABASE_ERRORS = (OperationalError, InterfaceError)


def reset_db_connection() -> None:
    """Drop this thread's database connection so that the next query opens a fresh one.

    After the server cut the connection (restart, failover, pg_terminate_backend) Django
    keeps the dead one until the end of the "request", which for a task means every query
    until the task ends fails too, including the ones that record the failure. Outside a
    transaction closing is always safe; inside one the caller's atomic block must unwind."""
    if not connection.in_atomic_block:
        connection.close()


class DurableTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = settings.CELERY_TASK_RETRY_BACKOFF
    retry_backoff_max = settings.CELERY_TASK_RETRY_BACKOFF_MAX
    retry_jitter = True
    #: None: settings.CELERY_TASK_MAX_LOST_DELIVERIES
    max_lost_deliveries: int | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.request.is_eager or not self.request.id or self.request.called_directly:
            return super().__call__(*args, **kwargs)
        run, action = self._start_delivery(args, kwargs)
        if action == "skip":
            return None
        if action == "give_up":
            self.on_give_up(run, *args, **kwargs)
            return None
        try:
            result = super().__call__(*args, **kwargs)
        except Retry:
            # The retry's message is already on the broker; what is left is to record it.
            self._finish(run, TaskRun.Status.RETRYING, traceback.format_exc(limit=5))
            raise
        except BaseException:
            self._finish(run, TaskRun.Status.FAILED, traceback.format_exc(limit=20))
            raise
        self._finish(run, TaskRun.Status.SUCCEEDED, "")
        return result

    def _lost_limit(self) -> int:
        if self.max_lost_deliveries is not None:
            return self.max_lost_deliveries
        return settings.CELERY_TASK_MAX_LOST_DELIVERIES

    def _start_delivery(self, args: tuple, kwargs: dict) -> tuple[TaskRun, str]:
        """Count this delivery; say whether to "run", "skip" (it already finished) or
        "give_up" (its worker died too often)."""
        now = timezone.now()
        with transaction.atomic():
            run, created = TaskRun.objects.select_for_update().get_or_create(
                task_id=self.request.id,
                defaults={"task_name": self.name, "args": list(args), "kwargs": kwargs},
            )
            run.deliveries += 1
            if run.status in (TaskRun.Status.SUCCEEDED, TaskRun.Status.FAILED) and not created:
                # Delivered again after it finished (its acknowledgement was lost): nothing to do.
                run.save(update_fields=["deliveries"])
                return run, "skip"
            retries = self.request.retries or 0
            # The same message again (same retry number) while its run is still "running":
            # the worker died. A retry whose predecessor could not record "retrying" (the
            # database was away) carries a higher number and is not a death.
            worker_lost = not created and run.status == TaskRun.Status.RUNNING and retries <= run.retries
            # Tasks may read it (self.request.after_worker_lost): whatever the dead worker left
            # "in progress" is theirs to take over.
            self.request.after_worker_lost = worker_lost
            if worker_lost:
                run.lost_deliveries += 1
            run.retries = retries
            run.started_at = now
            run.status = TaskRun.Status.RUNNING
            action = "run"
            limit = self._lost_limit()
            if run.lost_deliveries >= limit:
                action = "give_up"
                run.status = TaskRun.Status.FAILED
                run.finished_at = now
                run.last_error = (
                    f"Gave up: a worker died while running this task {run.lost_deliveries} times "
                    f"(limit {limit}); it was not started again."
                )
            run.save(
                update_fields=[
                    "deliveries",
                    "lost_deliveries",
                    "retries",
                    "started_at",
                    "status",
                    "finished_at",
                    "last_error",
                ]
            )
        return run, action

    def _finish(self, run: TaskRun, status: str, error: str) -> None:
        """Record how the run ended. A task that failed on a dead database connection would
        fail here too, and that error would replace the task's own outcome (its retry): so
        the connection is reset first, and a database still away is logged, not raised."""
        for attempt in (1, 2):
            try:
                TaskRun.objects.filter(pk=run.pk).update(
                    status=status, finished_at=timezone.now(), last_error=error[-4000:]
                )
                return
            except DATABASE_ERRORS:
                reset_db_connection()
                if attempt == 2:
                    logger.warning("Could not record task %s as %s: database unavailable", run.task_id, status)

    def on_give_up(self, run: TaskRun, *args: Any, **kwargs: Any) -> None:
        """Called instead of the task once its worker was lost too often. Override to record
        the failure where users see it (a report run, for instance)."""


def durable_task(*args: Any, **options: Any):
    """`shared_task` with DurableTask as its base (see the module docstring)."""
    options.setdefault("base", DurableTask)
    return shared_task(*args, **options)


@durable_task(name="core.dispatch_outbox")
def dispatch_outbox() -> None:
    dispatch()


@durable_task(name="core.cleanup_task_records")
def cleanup_task_records() -> None:
    """Forget finished task runs and dispatched outbox rows (RETENTION_TASK_RUNS_DAYS and
    RETENTION_OUTBOX_DAYS). The scheduled privacy.retention_sweep does this and more; the task
    stays for schedules created before it."""
    PROVIDER.retention()
