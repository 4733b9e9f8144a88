"""Thin task wrappers. `api.purge_idempotency_records` stays for schedules made before the hourly
privacy.retention_sweep took over (it applies the same RETENTION_IDEMPOTENCY_HOURS)."""

from core.tasks import durable_task

from .services import idempotency_records_purge


@durable_task(name="api.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency_records_purge()
