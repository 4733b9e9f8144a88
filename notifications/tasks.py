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


@durable_task(name="notifications.deliver")
def deliver_notifications(log_ids: list[int]) -> dict:
    """Enqueued on commit by the action that recorded the notifications; idempotent (a log row
    is claimed before it is delivered, so a second run finds nothing to do)."""
    delivered, failed = services.reminders_deliver(log_ids=log_ids)
    return {"delivered": delivered, "failed": failed}


@durable_task(name="notifications.deliver_feedback")
def deliver_feedback(now: str | None = None) -> dict:
    """Scheduled every minute by beat: tells the batches of comments, replies and addressed
    threads whose window has passed (FEEDBACK_NOTIFY_WINDOW). Idempotent."""
    released, delivered, failed = services.feedback_deliver_due(now=parse_datetime(now) if now else None)
    return {"released": released, "delivered": delivered, "failed": failed}
