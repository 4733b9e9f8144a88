"""Housekeeping for the API's own tables."""

import datetime

from django.db import transaction
from django.utils import timezone

from .idempotency import RETENTION
from .models import IdempotencyRecord


@transaction.atomic
def idempotency_records_purge(*, older_than: datetime.timedelta = RETENTION) -> int:
    """Delete stored Idempotency-Key responses older than the retention (24 h by default);
    returns how many went. Scheduled hourly by Celery beat (api.tasks.purge_idempotency_records)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
