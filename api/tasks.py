"""Thin task wrappers; schedule `api.purge_idempotency_records` hourly in Celery beat."""

from core.tasks import durable_task

from .services import idempotency_records_purge


@durable_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
