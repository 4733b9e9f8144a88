"""The plumbing's own scrape-time gauges: the outbox and the broker's queues. Registered by
CoreConfig.ready(); the domain's gauges are registered by the composition layer
(courseplatform/metrics.py)."""

import redis
from celery import current_app
from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone

from core.models import QueuedTask

from .metrics import ScrapeGauge, register_scrape_source

# kombu's Redis transport keeps one list per queue and priority step: "celery" for the
# default priority, then "celery\x06\x163", "celery\x06\x166", "celery\x06\x169".
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (0, 3, 6, 9)


def read_outbox() -> dict:
    """One query on the outbox's (status, created_at) index."""
    figures = QueuedTask.objects.filter(status=QueuedTask.Status.PENDING).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    oldest = figures["oldest"]
    return {
        "courseplatform_outbox_waiting_tasks": [((), figures["count"])],
        "courseplatform_outbox_oldest_waiting_seconds": [
            ((), (timezone.now() - oldest).total_seconds() if oldest else 0.0)
        ],
    }


def queue_names() -> list[str]:
    conf = current_app.conf
    names = [conf.task_default_queue]
    for queue in conf.task_queues or ():
        name = getattr(queue, "name", queue)
        if name not in names:
            names.append(name)
    return names


def read_broker() -> dict:
    """Queue lengths and unacknowledged messages: one pipelined round trip to Redis. Nothing
    with another broker (the embedded default runs tasks in-process)."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return {}
    names = queue_names()
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        with client.pipeline(transaction=False) as pipe:
            for name in names:
                for step in PRIORITY_STEPS:
                    pipe.llen(name if step == 0 else f"{name}{PRIORITY_SEPARATOR}{step}")
            pipe.hlen("unacked")
            *lengths, unacked = pipe.execute()
    finally:
        client.close()
    steps = len(PRIORITY_STEPS)
    return {
        "courseplatform_celery_queue_length": [
            ((name,), sum(lengths[index * steps : (index + 1) * steps])) for index, name in enumerate(names)
        ],
        "courseplatform_celery_unacked_messages": [((), unacked)],
    }


def register() -> None:
    register_scrape_source(
        "outbox",
        [
            ScrapeGauge(
                "courseplatform_outbox_waiting_tasks",
                "Tasks kept in the database outbox because the broker was unreachable, waiting for dispatch_outbox.",
            ),
            ScrapeGauge(
                "courseplatform_outbox_oldest_waiting_seconds",
                "Age of the oldest task waiting in the outbox (0 when none waits).",
            ),
        ],
        read_outbox,
    )
    register_scrape_source(
        "broker",
        [
            ScrapeGauge(
                "courseplatform_celery_queue_length",
                "Messages waiting in a Celery queue on the broker (Redis list lengths, all priorities).",
                ("queue",),
            ),
            ScrapeGauge(
                "courseplatform_celery_unacked_messages",
                "Messages workers have taken but not yet acknowledged (running or prefetched tasks).",
            ),
        ],
        read_broker,
    )
