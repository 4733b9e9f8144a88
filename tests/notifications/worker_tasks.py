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
