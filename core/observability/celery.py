"""Celery's side of the metrics, logs and traces, wired by courseplatform/celery.py.

Task counts, durations and outcomes are counted in the process that runs the task (a pool
child), publishes in the process that publishes. With WORKER_METRICS_PORT set, the worker's
main process serves them (worker_server.py); pool children write to PROMETHEUS_MULTIPROC_DIR.
"""

import os
import time

from celery import Celery, signals
from django.conf import settings
from django_structlog.celery.steps import DjangoStructLogInitStep

from .metrics import CELERY_TASK_DURATION, CELERY_TASKS, CELERY_TASKS_PUBLISHED, mark_process_dead
from .tracing import configure_tracing, shutdown_tracing
from .worker_server import start_worker_metrics_server

_started: dict[str, float] = {}
_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried", "REJECTED": "rejected"}


def _task_prerun(task_id=None, task=None, **kwargs) -> None:
    _started[task_id] = time.perf_counter()


def _task_postrun(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    if started is not None:
        CELERY_TASK_DURATION.labels(name).observe(time.perf_counter() - started)
    CELERY_TASKS.labels(name, _OUTCOMES.get(state or "", (state or "unknown").lower())).inc()


def _after_task_publish(sender=None, headers=None, **kwargs) -> None:
    CELERY_TASKS_PUBLISHED.labels((headers or {}).get("task") or str(sender)).inc()


def _worker_process_shutdown(pid=None, **kwargs) -> None:
    shutdown_tracing()
    mark_process_dead(pid or os.getpid())


def _worker_process_init(**kwargs) -> None:
    """In each pool child: traces are exported by a thread, which must start after the fork."""
    configure_tracing(f"{settings.TRACING_SERVICE_NAME}-worker")


def _worker_ready(sender=None, **kwargs) -> None:
    start_worker_metrics_server()


def instrument_celery(app: Celery) -> None:
    """Connect the metrics, the structured-log context and the traces to `app`."""
    signals.task_prerun.connect(_task_prerun, weak=False)
    signals.task_postrun.connect(_task_postrun, weak=False)
    signals.after_task_publish.connect(_after_task_publish, weak=False)
    signals.worker_process_shutdown.connect(_worker_process_shutdown, weak=False)
    signals.worker_process_init.connect(_worker_process_init, weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
    # django-structlog's worker step binds the request id the publishing request sent in the
    # task's headers (DJANGO_STRUCTLOG_CELERY_ENABLED puts it there) to the task's log lines.
    app.steps["worker"].add(DjangoStructLogInitStep)
