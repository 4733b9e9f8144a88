"""The one way to start background work: `enqueue(task, *args, **kwargs)`.

Never call `.delay()` or `.apply_async()` from a request. `enqueue`:

- waits for the surrounding transaction to commit (`transaction.on_commit`), so a worker
  never looks for rows that are not there yet, and nothing is sent for a rolled-back action;
- publishes with a short, bounded broker timeout and no publish retries, so a web request
  never hangs when Redis is down;
- keeps what it could not publish in the database outbox (`core.QueuedTask`); the
  `dispatch_outbox` task (scheduled every minute by beat) and management command send it
  when the broker answers again. Tasks are idempotent, so a task that ends up sent twice
  does no harm;
- runs the task in-process when no broker is configured (the embedded default, eager mode).

Arguments must be JSON-serialisable: ids and plain values, never model instances.
"""

import importlib
import importlib.util
import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import QueuedTask

logger = logging.getLogger(__name__)

# After a failed publish, this process sends straight to the outbox for a few seconds instead
# of making every request wait for the same unreachable broker.
BROKER_PAUSE_SECONDS = 10.0
_paused_until = {"monotonic": 0.0}


def _task_name(task: Task | str) -> str:
    return task if isinstance(task, str) else task.name


def enqueue(task: Task | str, *args: Any, **kwargs: Any) -> None:
    """Run `task(*args, **kwargs)` in the background once the current transaction commits."""
    name = _task_name(task)
    transaction.on_commit(lambda: publish(name, list(args), kwargs), robust=True)


def broker_paused() -> bool:
    return time.monotonic() < _paused_until["monotonic"]


def reset_broker_pause() -> None:
    _paused_until["monotonic"] = 0.0


def _import_task_modules() -> None:
    """Register every installed app's tasks (a web process imports them only on demand)."""
    for config in apps.get_app_configs():
        module = f"{config.name}.tasks"
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)


def _send(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    app = current_app
    if name not in app.tasks:
        _import_task_modules()
    # ignore_result: task state lives in our tables. Asking the result backend to watch for a
    # result is what makes a publish hang for many seconds when Redis is down.
    app.tasks[name].apply_async(args=list(args), kwargs=kwargs, retry=False, ignore_result=True)


def publish(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Hand the task to the broker now (or run it, in eager mode); on failure keep it in the
    outbox. Returns whether it was handed over."""
    if current_app.conf.task_always_eager:
        _send(name, args, kwargs)
        return True
    if broker_paused():
        _keep(name, args, kwargs, "broker unreachable moments ago; kept for dispatch_outbox")
        return False
    try:
        _send(name, args, kwargs)
    except Exception as exc:  # noqa: BLE001 - any broker failure means "keep it for later"
        _paused_until["monotonic"] = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("Broker unreachable, %s kept in the outbox: %s", name, exc)
        _keep(name, args, kwargs, f"{exc.__class__.__name__}: {exc}")
        return False
    return True


def _keep(name: str, args: Sequence[Any], kwargs: dict[str, Any], error: str) -> QueuedTask:
    return QueuedTask.objects.create(task_name=name, args=list(args), kwargs=kwargs, last_error=error[:500])


def dispatch_outbox(*, limit: int = 500) -> tuple[int, int]:
    """Send waiting outbox rows, oldest first; stop at the first failure (the broker is
    still down). Returns (sent, still waiting). Safe to run concurrently: each row is
    claimed with a conditional update before it is sent."""
    reset_broker_pause()
    sent = 0
    pending = list(
        QueuedTask.objects.filter(status=QueuedTask.Status.PENDING)
        .order_by("created_at", "pk")
        .values_list("pk", "task_name", "args", "kwargs")[:limit]
    )
    for pk, name, args, kwargs in pending:
        claimed = QueuedTask.objects.filter(pk=pk, status=QueuedTask.Status.PENDING).update(
            status=QueuedTask.Status.DISPATCHED, dispatched_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            _send(name, args, kwargs)
        except Exception as exc:  # noqa: BLE001 - still down: give the row back and stop
            QueuedTask.objects.filter(pk=pk).update(
                status=QueuedTask.Status.PENDING,
                dispatched_at=None,
                attempts=F("attempts") + 1,
                last_error=f"{exc.__class__.__name__}: {exc}"[:500],
            )
            logger.warning("Outbox dispatch stopped, broker still unreachable: %s", exc)
            break
        sent += 1
    waiting = QueuedTask.objects.filter(status=QueuedTask.Status.PENDING).count()
    return sent, waiting


def outbox_cleanup(*, older_than: timedelta | None = None) -> int:
    """Forget dispatched outbox rows after a while (they are only an audit trail)."""
    cutoff = timezone.now() - (older_than or timedelta(days=settings.RETENTION_OUTBOX_DAYS))
    deleted, _ = QueuedTask.objects.filter(status=QueuedTask.Status.DISPATCHED, dispatched_at__lt=cutoff).delete()
    return deleted
