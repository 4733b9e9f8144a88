"""The reminder sweep reads students a batch at a time: the same reminders as one batch, a
fixed number of queries per batch, and memory that follows the batch, not the cohort."""

import datetime
import gc
import math
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cohorts.models import Membership, MentorAssignment
from cohorts.schedule import week_window
from notifications import services
from notifications.models import Kind
from notifications.reminders import Sweep, registered_kinds
from notifications.services import reminders_sweep
from submissions.models import Revision, WeeklyWork
from tests.factories import CohortFactory, MembershipFactory

START = datetime.date(2026, 9, 7)  # a Monday; the cohort's week 3 opens on 2026-09-21


def crowd(course, students: int, *, prefix: str, start: datetime.date = START):
    """A cohort whose `students` students (bulk-created) share two mentors: weeks 1 and 2
    submitted (week 1 accepted), week 3 a draft; every tenth student has submitted nothing."""
    cohort = CohortFactory(course=course, start_date=start)
    mentors = [MembershipFactory(cohort=cohort, role="mentor").user for _ in range(2)]
    users = User.objects.bulk_create(
        [User(email=f"{prefix}{i:04d}@example.com", name=f"Student {prefix} {i:04d}") for i in range(students)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users])
    MentorAssignment.objects.bulk_create(
        [MentorAssignment(cohort=cohort, mentor=mentors[i % 2], student=u) for i, u in enumerate(users)]
    )
    weeks = {w.number: w for w in course.weeks.filter(number__lte=3)}
    states = {1: WeeklyWork.State.ACCEPTED, 2: WeeklyWork.State.SUBMITTED, 3: WeeklyWork.State.DRAFT}
    active = [u for i, u in enumerate(users) if i % 10]
    works = WeeklyWork.objects.bulk_create(
        [WeeklyWork(cohort=cohort, student=u, week=weeks[n], state=states[n]) for u in active for n in (1, 2, 3)]
    )
    submitted = [w for w in works if w.state != WeeklyWork.State.DRAFT]
    due = week_window(cohort, 2).due_at
    revisions = Revision.objects.bulk_create(
        [
            Revision(
                work=w,
                number=1,
                content={},
                submitted_at=due - datetime.timedelta(days=2),
                due_at=due,
                submitted_by_id=w.student_id,
            )
            for w in submitted
        ]
    )
    for work, revision in zip(submitted, revisions, strict=True):
        work.latest_revision = revision
    WeeklyWork.objects.bulk_update(submitted, ["latest_revision"])
    return cohort


def week3_opened(cohort) -> datetime.datetime:
    return week_window(cohort, 3).opens_at + datetime.timedelta(hours=1)


def found(now, batch_size: int) -> list[tuple]:
    return sorted(
        (r.recipient.pk, r.kind, r.subject_key, r.period_key, r.title, r.body, repr(r.context))
        for data in Sweep(now, batch_size=batch_size).batches()
        for kind in registered_kinds()
        for r in kind.find(data)
    )


def test_a_sweep_in_small_batches_finds_exactly_what_one_batch_finds(course):
    cohort = crowd(course, 23, prefix="same")
    now = week3_opened(cohort)
    in_one = found(now, batch_size=500)
    # Mentors' digests gather students from several batches; every kind is there.
    assert {kind for _, kind, *_ in in_one} >= {Kind.WEEKLY_DIGEST, Kind.OVERDUE, Kind.RETROSPECTIVE_MISSING}
    mentor_digests = [r for r in in_one if r[1] == Kind.WEEKLY_DIGEST and "your students" in r[4]]
    assert len(mentor_digests) == 2 and all(r[6].count("Student same") >= 11 for r in mentor_digests)
    assert found(now, batch_size=4) == in_one
    assert found(now, batch_size=1) == in_one


@pytest.mark.parametrize("students", [20, 40])
def test_the_sweep_reads_a_fixed_number_of_queries_per_batch(course, students):
    cohort = crowd(course, students, prefix="q")
    now = week3_opened(cohort)
    with CaptureQueriesContext(connection) as run:
        found(now, batch_size=10)
    batches = math.ceil(students / 10)
    # Once per sweep: 1 cohorts, 2 weeks + objectives, 1 capstone deliverables. Per batch:
    # 1 students, 1 extensions, 1 works (tuples), 1 retrospectives done, 1 open peer reviews,
    # 1 mentor assignments, 4 for the at-risk rules (insights.selectors.at_risk_in_cohorts, for
    # the mentors' digests: rules, weeks, extensions, the one aggregate), 1 the students' unread feedback notifications (their digests). A
    # last students query finds the end (the count divides evenly); then 1 the mentors' unread
    # feedback notifications, for their digests.
    assert len(run.captured_queries) == 4 + 11 * batches + 1 + 1


def test_the_sweeps_memory_follows_the_batch_not_the_number_of_students(course, settings, monkeypatch):
    """Peak Python memory of a whole sweep (finding, recording, delivering in-app and by
    e-mail: one gathered e-mail per person, built and handed to a backend that keeps nothing)
    over 50 and over 500 students, 50 to a batch and 50 reminders to a delivery batch: about the
    same. Before batching, the sweep held every work of every running cohort as model
    instances and every reminder found (2.9 GiB at 33,340 students), and each delivery
    batch's rows stayed in memory until a full garbage collection (a reference cycle)."""
    settings.REMINDERS_SWEEP_BATCH = 50
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    monkeypatch.setattr(services, "DELIVERY_BATCH", 50)

    def peak(students: int, prefix: str, start: datetime.date) -> tuple[int, int]:
        cohort = crowd(course, students, prefix=prefix, start=start)
        gc.collect()
        tracemalloc.start()
        try:
            result = reminders_sweep(now=week3_opened(cohort))
            return tracemalloc.get_traced_memory()[1], result.found
        finally:
            tracemalloc.stop()

    peak(5, "warm", datetime.date(2024, 9, 2))  # the first sweep imports modules (views, e-mail)
    peak_small, found_small = peak(50, "small", START)
    # Two years later: the first cohort is long over, so this sweep sees only the second.
    peak_large, found_large = peak(500, "large", datetime.date(2028, 9, 4))
    assert found_large >= 9 * found_small  # ten times the students: about ten times the reminders
    assert peak_large < 1.5 * peak_small, (peak_small, peak_large)
