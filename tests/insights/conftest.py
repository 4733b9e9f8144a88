"""A cohort in its sixth week at a fixed instant, and helpers that build each student's
history through the real services (submitting, reviewing, retrospectives, the risk log)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.schedule import week_window
from rubrics.models import Assessment
from rubrics.services import rubric_install_defaults
from submissions import services as submission_services
from submissions.models import Revision, RiskEntry, WeeklyWork
from submissions.services import work_request_changes
from tests.factories import (
    AssessmentFactory,
    ExtensionFactory,
    MembershipFactory,
    MentorAssignmentFactory,
    RetrospectiveFactory,
    RiskEntryFactory,
    UserFactory,
    reviewed_work,
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


@pytest.fixture
def mixed(people, rubric):
    """Two cohorts, each student meeting a different mix of rules."""
    cohort = people.cohort
    steady_student(cohort, people.mentor, "Steady")
    steady_student(cohort, people.mentor, "Behind", weeks=(1, 2, 3))
    extended = steady_student(cohort, people.mentor, "Extended", weeks=(1, 2, 3))
    ExtensionFactory(
        cohort=cohort,
        student=extended,
        week=cohort.course.weeks.get(number=5),
        due_at=datetime.datetime(2026, 10, 20, 21, 59, tzinfo=datetime.UTC),
    )
    falling = steady_student(cohort, people.mentor, "Falling", retrospectives=(1, 2, 3))
    for number, points in ((2, 1), (3, 4), (4, 3), (5, 2)):
        score(falling.weekly_works.get(week__number=number).latest_revision, people.mentor, points)
    rising = steady_student(cohort, people.mentor, "Rising")
    for number, points in ((3, 2), (4, 3), (5, 3)):
        score(rising.weekly_works.get(week__number=number).latest_revision, people.mentor, points)
    revising = steady_student(cohort, people.mentor, "Reviser")
    work = revising.weekly_works.get(week__number=2)
    for resubmission in range(4):
        work_request_changes(work=work, revision=work.latest_revision, by=people.mentor)
        submit(revising, cohort, 2, at=datetime.datetime(2026, 9, 16, 10 + resubmission, tzinfo=datetime.UTC))
        work.refresh_from_db()
    risky = steady_student(cohort, people.mentor, "Risky", retrospectives=(1, 2, 3, 4))
    weeks = {w.number: w for w in cohort.course.weeks.filter(number__in=(1, 2, 5, 6))}
    for number, severity in ((5, RiskEntry.Severity.HIGH), (2, RiskEntry.Severity.CRITICAL), (6, "critical")):
        RiskEntryFactory(cohort=cohort, student=risky, severity=severity, week_opened=weeks[number])
    retrospective(risky, cohort, 5, scale="  ")  # not done
    struggling = new_student(cohort, people.mentor, "Struggling")
    submit(struggling, cohort, 1)
    # The other cohort (same schedule): someone who did nothing, someone who did everything.
    Cohort.objects.filter(pk=people.other_cohort.pk).update(start_date=cohort.start_date)
    people.other_cohort.refresh_from_db()
    new_student(people.other_cohort, people.foreign_mentor, "Elsewhere")
    steady_student(people.other_cohort, people.foreign_mentor, "Elsewhere steady")
    return people


@pytest.fixture
def graded(people, course):
    """Three students with hand-made grades (latest mentor scores):

    | student        | W1 | W2                  | W3    | total | average |
    | Ada (student)  | 80 | 60 then 70 → 70     | draft | 150   | 75      |
    | Bea (other)    | 90 | 40 changes req.,late| –     | 130   | 65      |
    | Cy (third)     | –  | –                   | –     | –     | –       |

    W1 average (80+90)/2 = 85; W2 (70+40)/2 = 55. Cy is mentored by the unassigned mentor."""
    cohort = people.cohort
    cohort.start_date = timezone.localdate() - datetime.timedelta(days=70)
    cohort.save(update_fields=["start_date"])
    User.objects.filter(pk=people.student.pk).update(name="Ada Lovelace")
    User.objects.filter(pk=people.other_student.pk).update(name="Bea Carter")
    people.third = MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT, user__name="Cy Young").user
    MentorAssignmentFactory(cohort=cohort, mentor=people.unassigned_mentor, student=people.third)
    week = {n: course.weeks.get(number=n) for n in (1, 2, 3)}
    reviewed_work(cohort=cohort, student=people.student, week=week[1], score="80", scorer=people.mentor)
    twice = reviewed_work(cohort=cohort, student=people.student, week=week[2], score="60", scorer=people.mentor)
    Assessment.objects.create(
        revision=twice.latest_revision,
        rubric=Assessment.objects.get(revision=twice.latest_revision).rubric,
        scorer=people.instructor,
        kind=Assessment.Kind.MENTOR,
        decision=Assessment.Decision.ACCEPT,
        score=Decimal("70"),
        submitted_at=twice.latest_revision.submitted_at + datetime.timedelta(hours=5),
    )
    WeeklyWork.objects.create(cohort=cohort, student=people.student, week=week[3])
    reviewed_work(cohort=cohort, student=people.other_student, week=week[1], score="90", scorer=people.mentor)
    reviewed_work(
        cohort=cohort,
        student=people.other_student,
        week=week[2],
        state=WeeklyWork.State.CHANGES_REQUESTED,
        score="40",
        late=True,
        scorer=people.mentor,
    )
    return people
