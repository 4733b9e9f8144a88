"""Feedback notifications exactly once, with the reminders' guarantees: two mentors submitting
the same decision at the same instant (threads, real PostgreSQL) tell the student once; two
batch releases racing tell each comment once; a real worker SIGKILLed in the middle of
delivering decisions loses none and duplicates none (at most the one e-mail in the SMTP
server's hands at the kill, as for reminders)."""

import asyncio
import datetime
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from notifications.models import FeedbackEvent, Kind, Notification, ReminderLog
from notifications.services import claim_expiry, feedback_batches_release, feedback_event_record, reminders_deliver
from rubrics.models import Assessment
from rubrics.services import assessment_record, rubric_install_defaults
from tests.factories import CohortFactory, MembershipFactory, MentorAssignmentFactory
from tests.redis_server import free_port
from tests.rubrics.conftest import scores_for, submit
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for


def race(*calls) -> list:
    """Run the calls at the same instant in threads (one database connection each); return
    what each raised (None when it returned)."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def rubric(course):
    return rubric_install_defaults(course=course)[0]


# These races need PostgreSQL's row locks: on SQLite they run against a private PostgreSQL server.
pytestmark = pytest.mark.postgresql


@pytest.mark.django_db(transaction=True)
def test_two_mentors_submitting_the_same_decision_at_once_tell_the_student_once(people, rubric, eager_tasks):
    revision = submit(people.student, people.cohort)
    for n in range(1, 11):
        feedback_event_record(
            recipient=people.student,
            kind=Kind.COMMENT_ON_WORK,
            event_key=f"comment:{n}",
            revision_id=revision.pk,
            author=people.mentor,
            line=f"Comment {n}",
            url=f"/work/{revision.work_id}/#thread-{n}",
            awaits_review=True,
        )

    def decide(mentor):
        return lambda: assessment_record(
            revision=revision,
            scorer=mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, 2),
            feedback="Rerun the load test.",
            decision=Assessment.Decision.REQUEST_CHANGES,
        )

    outcomes = race(decide(people.mentor), decide(people.instructor))
    # One decision stands; the other is refused (the work is no longer waiting for review).
    assert sum(outcome is None for outcome in outcomes) == 1
    assert all(outcome is None or isinstance(outcome, ValidationError) for outcome in outcomes)
    assert Assessment.objects.filter(kind=Assessment.Kind.MENTOR).count() == 1
    assert ReminderLog.objects.filter(kind=Kind.CHANGES_REQUESTED).count() == 1
    note = Notification.objects.get()
    assert (note.recipient_id, note.title) == (people.student.pk, "Changes requested on week 1, and 10 comments")
    assert [m.to for m in mail.outbox] == [[people.student.email]]
    assert ReminderLog.objects.get().status == ReminderLog.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_two_releases_racing_tell_each_comment_once(people, rubric):
    revision = submit(people.student, people.cohort)
    start = timezone.now()
    for n in range(1, 31):
        student = people.student if n % 2 else people.other_student
        feedback_event_record(
            recipient=student,
            kind=Kind.COMMENT_ON_WORK,
            event_key=f"comment:{n}",
            revision_id=revision.pk,
            author=people.mentor,
            line=f"Comment {n}",
            url=f"/work/{revision.work_id}/#thread-{n}",
            now=start,
        )
    later = start + datetime.timedelta(hours=1)
    released: list[list[int]] = []
    outcomes = race(*[lambda: released.append(feedback_batches_release(now=later)) for _ in range(3)])
    assert outcomes == [None, None, None]
    assert FeedbackEvent.objects.filter(log__isnull=True).count() == 0
    # Every event is in exactly one batch, and the batches of one person never overlap.
    logs = ReminderLog.objects.filter(kind=Kind.COMMENT_ON_WORK)
    assert sum(len(ids) for ids in released) == logs.count()
    assert sum(log.feedback_events.count() for log in logs) == 30
    assert reminders_deliver(now=later) == (logs.count(), 0)
    assert Notification.objects.count() == logs.count() <= 6


class SlowInbox:
    """Accepts every message after a short pause, so the deliveries take a few seconds and the
    test can kill the worker in the middle of them."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        await asyncio.sleep(0.15)
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def slow_smtp():
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


STUDENTS = 24


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_delivering_decisions_loses_and_duplicates_none(course, rubric, redis_server, slow_smtp):
    inbox, port = slow_smtp
    cohort = CohortFactory(course=course)
    mentor = MembershipFactory(cohort=cohort, role="mentor").user
    students = [MembershipFactory(cohort=cohort).user for _ in range(STUDENTS)]
    revisions = []
    for student in students:
        MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
        revisions.append(submit(student, cohort))
    workers = Workers(redis_server, SharedDatabase())
    workers.extra_env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "false",
    }
    try:
        # The decisions commit here; each enqueues its delivery on commit, to the private broker.
        with celery_publishing_to(redis_server.url):
            for revision in revisions:
                assessment_record(
                    revision=revision,
                    scorer=mentor,
                    kind=Assessment.Kind.MENTOR,
                    scores=scores_for(rubric, 3),
                    feedback="Measure again after the index.",
                    decision=Assessment.Decision.REQUEST_CHANGES,
                )
        assert ReminderLog.objects.filter(status=ReminderLog.Status.PENDING).count() == STUDENTS
        workers.database.share()
        first = workers.start()
        wait_for(lambda: len(inbox.recipients) >= STUDENTS // 4, 60, "the worker never sent a quarter", workers)
        workers.kill(first)
        killed_at = time.monotonic()
        received_before_kill = len(inbox.recipients)
        assert received_before_kill < STUDENTS, "the kill came too late to test anything"
        # What went out is marked; at most the one in flight is claimed but unmarked.
        assert ReminderLog.objects.filter(status=ReminderLog.Status.SENDING).count() <= 1

        workers.start()  # the unacknowledged deliveries come back after the visibility timeout
        wait_for(
            lambda: (
                ReminderLog.objects.filter(status=ReminderLog.Status.PENDING).count() == 0
                and len(inbox.recipients) >= STUDENTS - 1
            ),
            90,
            "the deliveries did not finish after the restart",
            workers,
        )
        recovered_after = time.monotonic() - killed_at
    finally:
        workers.stop_all()

    # The sweep after the claim expired takes over the one delivery stranded in flight, if any.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=port
    ):
        reminders_deliver(now=timezone.now() + claim_expiry() + datetime.timedelta(seconds=1))
    assert ReminderLog.objects.exclude(status=ReminderLog.Status.SENT).count() == 0
    received = Counter(inbox.recipients)
    assert set(received) == {student.email for student in students}, "somebody was never told"
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= 1, f"{duplicates} duplicate e-mails"
    in_app = Counter(Notification.objects.values_list("recipient_id", flat=True))
    assert in_app == Counter({student.pk: 1 for student in students}), "an in-app notification was lost or doubled"
    print(
        f"\nkilled after {received_before_kill}/{STUDENTS} e-mails; recovered in {recovered_after:.1f} s; "
        f"{duplicates} duplicate(s)"
    )
