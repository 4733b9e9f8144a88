"""Tasks used only by the worker durability tests (loaded into the worker with -I)."""

import os
import signal
import time

from accounts.models import User
from core.tasks import durable_task
from notifications.models import Kind
from notifications.services import notification_send


@durable_task(name="tests.slow_notify")
def slow_notify(user_id: int, seconds: float) -> None:
    """A slow job whose effect (one notification) must happen exactly once."""
    time.sleep(seconds)
    notification_send(
        recipient=User.objects.get(pk=user_id),
        kind=Kind.SYSTEM,
        subject_key="worker-test",
        period_key="once",
        title="The slow job finished",
    )


@durable_task(name="tests.kill_worker", max_lost_deliveries=2)
def kill_worker() -> None:
    """Kills the process running it, every time (a poison message)."""
    os.kill(os.getpid(), signal.SIGKILL)


@durable_task(name="tests.database_blip", max_retries=3)
def database_blip(user_id: int, blips: int) -> None:
    """Names its database connection so the test can cut it (pg_terminate_backend) while the
    first `blips` deliveries wait in the database; the delivery after them does the work."""
    from celery import current_task
    from django.db import connection

    if current_task.request.retries < blips:
        with connection.cursor() as cursor:
            cursor.execute("SET application_name = %s", [f"blip-{current_task.request.id}"])
            cursor.execute("SELECT pg_sleep(25)")
    notification_send(
        recipient=User.objects.get(pk=user_id),
        kind=Kind.SYSTEM,
        subject_key="worker-test",
        period_key="blip",
        title="The job survived the database blips",
    )
