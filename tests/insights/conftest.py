"""A cohort in its sixth week at a fixed instant, and helpers that build each student's
history through the real services (submitting, reviewing, retrospectives, the risk log)."""

import datetime

import pytest
from django.utils import timezone

from cohorts.models import Cohort, Membership
from cohorts.schedule import week_window
from rubrics.services import rubric_install_defaults
from submissions import services as submission_services
from submissions.models import Revision
from tests.factories import (
    AssessmentFactory,
    MembershipFactory,
    MentorAssignmentFactory,
    RetrospectiveFactory,
    UserFactory,
)

# The people fixture's cohort starts on Monday 7 September 2026 (Europe/Berlin, due 23:59 on
# each week's seventh day). On Wednesday 14 October week 6 is open and weeks 1 to 5 are due.
NOW = datetime.datetime(2026, 10, 14, 12, 0, tzinfo=datetime.UTC)
PAST_WEEKS = (1, 2, 3, 4, 5)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture
def rubric(course):
    return rubric_install_defaults(course=course)[0]


def on_time(cohort, number: int, hours: int = 24) -> datetime.datetime:
    """`hours` after week `number` opens."""
    return week_window(cohort, number).opens_at + datetime.timedelta(hours=hours)


def new_student(cohort, mentor, name: str):
    student = UserFactory(name=name)
    MembershipFactory(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    MentorAssignmentFactory(cohort=cohort, mentor=mentor, student=student)
    return student


def submit(student, cohort, number: int, *, at: datetime.datetime | None = None) -> Revision:
    """Save a draft for week `number` and submit it as its next revision."""
    week = cohort.course.weeks.get(number=number)
    work = submission_services.work_get_or_create(student=student, cohort=cohort, week=week)
    submission_services.work_save_draft(
        work=work,
        content={"concept": {"text": f"Week {number}: the ORM dominates the p95.", "objective_ids": []}},
        expected_version=work.draft_version,
        by=student,
    )
    return submission_services.work_submit(work=work, by=student, now=at or on_time(cohort, number))


def score(revision: Revision, mentor, points: int, *, at: datetime.datetime | None = None, decision="accept"):
    """The mentor's rubric review of the revision, every criterion at `points` of 4."""
    return AssessmentFactory(
        revision=revision,
        scorer=mentor,
        points=points,
        decision=decision,
        feedback="Show the p99 next to the p95.",
        submitted_at=at or revision.submitted_at + datetime.timedelta(hours=10),
    )


def retrospective(student, cohort, number: int, *, scale: str = "Keep a latency budget per endpoint.") -> None:
    RetrospectiveFactory(student=student, cohort=cohort, week=cohort.course.weeks.get(number=number), scale=scale)


def steady_student(cohort, mentor, name: str, *, weeks=PAST_WEEKS, retrospectives=PAST_WEEKS):
    """A student who submitted and reflected on every due week: at risk under no rule."""
    student = new_student(cohort, mentor, name)
    for number in weeks:
        submit(student, cohort, number)
    for number in retrospectives:
        retrospective(student, cohort, number)
    return student


@pytest.fixture
def running(people):
    """The people fixture's cohort moved so that its week 6 opened yesterday; the other
    student submitted and reflected on weeks 1 to 5, the student did nothing."""
    start = timezone.localdate() - datetime.timedelta(days=36)
    Cohort.objects.filter(pk__in=[people.cohort.pk, people.other_cohort.pk]).update(start_date=start)
    people.cohort.refresh_from_db()
    for number in PAST_WEEKS:
        submit(people.other_student, people.cohort, number)
        retrospective(people.other_student, people.cohort, number)
    return people


@pytest.fixture
def reviewed(running, rubric):
    """Two decisions: the mentor after 5 hours, the instructor after 100 hours, yesterday."""
    yesterday = timezone.now() - datetime.timedelta(days=1)
    for reviewer, student, hours in ((running.mentor, running.student, 5), (running.instructor, running.student, 100)):
        number = 6 if hours == 5 else 1
        revision = submit(student, running.cohort, number, at=yesterday - datetime.timedelta(hours=hours))
        score(revision, reviewer, 3, at=yesterday)
    return running
