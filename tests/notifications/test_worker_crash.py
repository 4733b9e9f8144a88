"""A reminder sweep killed in the middle of a batch of e-mails: a real `celery worker`
(tests/workers.py) sends through a real SMTP server (aiosmtpd) and is SIGKILLed after part
of the batch went out. After recovery every recipient has the reminder, and at most the one
e-mail handed to the SMTP server at the instant of the kill arrived twice."""

import asyncio
import datetime
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.utils import timezone

from core.models import TaskRun
from notifications.models import Notification, ReminderLog
from notifications.services import claim_expiry, reminders_deliver
from tests.factories import ReminderLogFactory, UserFactory
from tests.redis_server import free_port
from tests.workers import SharedDatabase, Workers, celery_publishing_to, publish, wait_for

RECIPIENTS = 200


class SlowInbox:
    """Accepts every message after a short pause, like a busy relay, so the batch takes a
    few seconds and the test can kill the worker in the middle of it."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(0.02)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def slow_smtp():
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_mid_batch_sends_each_reminder_once_with_at_most_one_duplicate(course, redis_server, slow_smtp):
    inbox, port = slow_smtp
    logs = [ReminderLogFactory(recipient=UserFactory()) for _ in range(RECIPIENTS)]
    addresses = {log.recipient.email for log in logs}
    workers = Workers(redis_server, SharedDatabase())
    workers.extra_env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
        # Long enough for the rest of the batch after the kill on a busy machine.
        "CELERY_VISIBILITY_TIMEOUT": "15",
        "CELERY_TASK_TIME_LIMIT": "14",
        "CELERY_TASK_SOFT_TIME_LIMIT": "13",
    }
    workers.database.share()
    try:
        first = workers.start()
        with celery_publishing_to(redis_server.url):
            task_id = publish("notifications.sweep_reminders")
        wait_for(lambda: len(inbox.recipients) >= RECIPIENTS // 4, 60, "the sweep never sent a quarter", workers)
        workers.kill(first)
        killed_at = time.monotonic()
        received_before_kill = len(inbox.recipients)

        def count(status: str) -> int:
            return ReminderLog.objects.filter(status=status).count()

        # Every e-mail that went out is marked as it went; at most the one in flight is not.
        assert count(ReminderLog.Status.SENDING) <= 1
        assert 0 <= received_before_kill - count(ReminderLog.Status.SENT) <= 1
        assert count(ReminderLog.Status.PENDING) >= RECIPIENTS // 2  # the rest wait, unclaimed
        assert Notification.objects.count() == RECIPIENTS  # the in-app side went out at once

        workers.start()  # the killed task's message comes back after the visibility timeout
        wait_for(
            lambda: (run := workers.database.task_run(task_id)) and run[0] == TaskRun.Status.SUCCEEDED,
            60,
            "the redelivered sweep never finished",
            workers,
        )
        recovered_after = time.monotonic() - killed_at
        assert count(ReminderLog.Status.PENDING) == 0
        assert count(ReminderLog.Status.SENDING) <= 1
    finally:
        workers.stop_all()

    # The next sweep after the claim expired takes over the one e-mail stranded in flight.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
    ):
        reminders_deliver(now=timezone.now() + claim_expiry() + datetime.timedelta(seconds=1))
    assert ReminderLog.objects.exclude(status=ReminderLog.Status.SENT).count() == 0
    received = Counter(inbox.recipients)
    assert set(received) == addresses, "somebody never got the reminder"
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= 1, f"{duplicates} duplicate e-mails"
    assert Notification.objects.count() == RECIPIENTS
    print(
        f"\nkilled after {received_before_kill}/{RECIPIENTS} e-mails; recovered in {recovered_after:.1f} s; "
        f"{duplicates} duplicate(s)"
    )
