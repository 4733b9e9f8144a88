"""Thin task wrappers around notification services."""

from django.utils.dateparse import parse_datetime

from core.tasks import durable_task

from . import services


@durable_task(name="notifications.sweep_reminders")
def sweep_reminders(now: str | None = None) -> dict:
    """Scheduled every 15 minutes by beat; idempotent (the reminder log makes it so)."""
    result = services.reminders_sweep(now=parse_datetime(now) if now else None)
    return {"found": result.found, "delivered": result.delivered, "failed": result.failed}


@durable_task(name="notifications.send_test_email")
def send_test_email(user_id: int, requested_at: str) -> None:
    """Idempotent per request: the request instant is the notification's period."""
    services.check_email_send(user_id=user_id, requested_at=requested_at)
