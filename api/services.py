"""Housekeeping for the API's own tables."""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import IdempotencyRecord


@transaction.atomic
def idempotency_records_purge(*, older_than: datetime.timedelta | None = None) -> int:
    """Delete stored Idempotency-Key responses older than the retention
    (RETENTION_IDEMPOTENCY_HOURS, 24 h by default); returns how many went. The hourly
    privacy.retention_sweep calls it."""
    if older_than is None:
        older_than = datetime.timedelta(hours=settings.RETENTION_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
