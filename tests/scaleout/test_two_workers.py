"""Two real `celery worker` processes on one broker (tests/workers.py) doing the same work at
the same time: every reminder e-mail still goes out once (the reminder log's claim), and a
report delivered to both workers is built once (the run's claim)."""

import asyncio
import datetime
import email
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from core.models import TaskRun
from notifications.models import Kind, Notification, ReminderLog
from reports.models import ReportRun
from reports.services import report_request
from tests.factories import CohortFactory, MembershipFactory
from tests.redis_server import free_port
from tests.workers import SharedDatabase, Workers, celery_publishing_to, publish, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# Week 1 of a cohort starting on Monday 7 September 2026 is due on the Sunday evening; 30
# hours before, the deadline-approaching reminder is due for everyone who has not submitted.
WEEK1_DUE = datetime.datetime(2026, 9, 13, 21, 59, tzinfo=datetime.UTC)
STUDENTS = 30


class Inbox:
    """A real SMTP server's handler: every message as (recipient, subject)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)  # a relay that takes a moment, so the two sweeps overlap
        subject = email.message_from_bytes(envelope.content)["Subject"]
        self.messages.extend((recipient, subject) for recipient in envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def _both_ready(workers: Workers) -> bool:
    return workers.output().count(" ready.") >= 2


def _ran_at_the_same_time(workers: Workers, first: str, second: str) -> bool:
    """Whether the two tasks' runs overlapped: one started before the other finished, so
    two workers were at it at once (one worker runs one task at a time here)."""
    times = {}
    for task_id in (first, second):
        [(started, finished)] = workers.database.rows(
            "SELECT started_at, finished_at FROM core_taskrun WHERE task_id = ?", (task_id,)
        )
        times[task_id] = (started, finished)
    (start_a, end_a), (start_b, end_b) = times[first], times[second]
    return start_a < end_b and start_b < end_a


def test_two_workers_sweeping_at_once_send_each_reminder_once(course, redis_server, smtp):
    inbox, port = smtp
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7))
    students = [MembershipFactory(cohort=cohort).user for _ in range(STUDENTS)]
    workers = Workers(redis_server, SharedDatabase())
    workers.extra_env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
    }
    workers.database.share()
    try:
        workers.start()
        workers.start()
        wait_for(lambda: _both_ready(workers), 60, "the two workers did not start", workers)
        now = (WEEK1_DUE - datetime.timedelta(hours=30)).isoformat()
        with celery_publishing_to(redis_server.url):
            # What two beats, or a beat and an admin's "run now", would do: the same sweep
            # twice at once, taken by one worker each, then twice more.
            task_ids = [publish("notifications.sweep_reminders", now) for _ in range(4)]
        wait_for(
            lambda: all(
                (run := workers.database.task_run(task_id)) and run[0] == TaskRun.Status.SUCCEEDED
                for task_id in task_ids
            ),
            90,
            "the sweeps did not all finish",
            workers,
        )
        assert _ran_at_the_same_time(workers, task_ids[0], task_ids[1])
    finally:
        workers.stop_all()

    approaching = ReminderLog.objects.filter(kind=Kind.DEADLINE_APPROACHING)
    assert approaching.count() == STUDENTS
    assert not ReminderLog.objects.exclude(status=ReminderLog.Status.SENT).exists()
    sent = Counter(inbox.messages)
    assert {recipient for recipient, _ in sent} >= {student.email for student in students}
    assert max(sent.values()) == 1, [message for message, times in sent.items() if times > 1]
    # A person's reminders of one sweep are one e-mail: one message per recipient, every row e-mailed.
    assert len(inbox.messages) == ReminderLog.objects.values("recipient").distinct().count()
    assert not ReminderLog.objects.filter(emailed=False).exists()
    assert Notification.objects.filter(kind=Kind.DEADLINE_APPROACHING).count() == STUDENTS


class ReportWorkers(Workers):
    def __init__(self, redis, database, media_root: str) -> None:
        super().__init__(redis, database, include="tests.reports.worker_hooks")
        self.media_root = media_root

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "REPORTS_TEST_MEDIA_ROOT": self.media_root,
            "REPORTS_TEST_CHUNK_DELAY": "0.5",
            "REPORTS_HEARTBEAT_INTERVAL": "0.5",
            "REPORTS_STALLED_AFTER": "3",
        }


def test_a_report_sent_to_two_workers_at_once_is_built_once(people, redis_server):
    for _ in range(4):
        MembershipFactory(cohort=people.cohort)
    media_root = tempfile.mkdtemp(prefix="cp-test-report-media-")
    workers = ReportWorkers(redis_server, SharedDatabase(), media_root)
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    workers.database.share()
    try:
        workers.start()
        workers.start()
        wait_for(lambda: _both_ready(workers), 60, "the two workers did not start", workers)
        with celery_publishing_to(redis_server.url):
            # The request's message and the reconciler's re-send of the same run, together.
            first = publish("reports.build_report", run.pk)
            second = publish("reports.build_report", run.pk)
        wait_for(
            lambda: all(
                (state := workers.database.task_run(task_id)) and state[0] == TaskRun.Status.SUCCEEDED
                for task_id in (first, second)
            ),
            90,
            "the two deliveries did not both finish",
            workers,
        )
        assert _ran_at_the_same_time(workers, first, second)
        [(status, attempts, stored)] = workers.database.rows(
            "SELECT status, attempts, file FROM reports_reportrun WHERE id = ?", (run.pk,)
        )
    finally:
        workers.stop_all()
        files = [path for path in Path(media_root).rglob("*") if path.is_file()]
        shutil.rmtree(media_root, ignore_errors=True)
    assert status == ReportRun.Status.SUCCEEDED
    assert attempts == 1, "the second delivery built it again"
    assert [str(path.relative_to(media_root)) for path in files] == [stored]
