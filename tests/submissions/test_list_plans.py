"""Lists of work read only the rows they may show, however many works other cohorts hold.

The works list (`-pk`, 51 rows a page) and the review queue once filtered "own work OR
instructed cohort OR mentored pair" with subqueries, which PostgreSQL could only check row by
row: it walked the primary-key index of every work in the database (800,160 rows removed by
the filter to show one 30-student cohort's first page). The plans are read here, not timed:
the rows each plan reads from the works table stay within the viewer's own cohort, with
thirty times as many works of other cohorts present and newer (so a walk down the primary
key would meet them all first)."""

import datetime
import json
import os

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery

from accounts.models import User
from cohorts.models import Membership, MentorAssignment
from rubrics.selectors import review_queue_works
from submissions.models import Revision, WeeklyWork
from submissions.selectors import works_listed_for
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db

STUDENTS = 30
OTHER_STUDENTS = 600
WEEKS = 24


def _students(prefix: str, count: int) -> list[User]:
    return User.objects.bulk_create(
        [User(email=f"{prefix}{n}@example.com", name=f"{prefix} {n}", password="!") for n in range(count)]
    )


def _submitted_works(cohort, students: list[User]) -> None:
    """Each student's 24 weeks, submitted once (a revision each)."""
    weeks = list(cohort.course.weeks.order_by("number")[:WEEKS])
    Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=student, role=Membership.Role.STUDENT) for student in students]
    )
    works = WeeklyWork.objects.bulk_create(
        [
            WeeklyWork(cohort=cohort, student=s, week=w, state=WeeklyWork.State.SUBMITTED)
            for s in students
            for w in weeks
        ],
        batch_size=2000,
    )
    moment = datetime.datetime(2026, 10, 1, 12, tzinfo=datetime.UTC)
    Revision.objects.bulk_create(
        [
            Revision(work=w, number=1, content={}, submitted_at=moment, due_at=moment, submitted_by_id=w.student_id)
            for w in works
        ],
        batch_size=2000,
    )
    WeeklyWork.objects.filter(cohort=cohort).update(
        latest_revision_id=Subquery(Revision.objects.filter(work=OuterRef("pk"), number=1).values("pk"))
    )


@pytest.fixture
def crowded(people, course):
    """people.cohort with people.student's 24 drafts and 30 more students' 24 submitted works
    each (720), created first; then another cohort's 14,400 submitted works; statistics as a
    live database keeps them."""
    weeks = list(people.cohort.course.weeks.order_by("number")[:WEEKS])
    WeeklyWork.objects.bulk_create([WeeklyWork(cohort=people.cohort, student=people.student, week=w) for w in weeks])
    students = _students("mine", STUDENTS)
    _submitted_works(people.cohort, students)
    MentorAssignment.objects.bulk_create(
        [MentorAssignment(cohort=people.cohort, mentor=people.mentor, student=s) for s in students]
    )
    _submitted_works(CohortFactory(course=course), _students("other", OTHER_STUDENTS))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE submissions_weeklywork, submissions_revision")
    return people


def _rows_read_from_works(queryset) -> int:
    """Rows of the works table the executed plan looked at: those it passed on plus those its
    filters and rechecks threw away, over every loop."""
    plan = json.loads(queryset.explain(format="json", analyze=True))[0]["Plan"]
    total = 0
    nodes = [plan]
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        if node.get("Relation Name") == "submissions_weeklywork":
            total += node["Actual Rows"] * node["Actual Loops"]
            total += node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return total


def _sqlite_plan(queryset) -> str:
    return queryset.explain()


def _first_page(user):
    return works_listed_for(user).order_by("-pk")[:51]


def test_the_suite_reads_the_plans_on_postgresql():
    if os.environ.get("CI", "").lower() == "true":
        assert connection.vendor == "postgresql", "CI must run the suite on PostgreSQL (set DATABASE_URL)."


@pytest.mark.parametrize("viewer", ["mentor", "instructor", "student"])
def test_the_works_list_reads_only_the_viewers_cohort(crowded, viewer):
    user = getattr(crowded, viewer)
    page = _first_page(user)
    assert len(list(page)) == (51 if viewer != "student" else WEEKS)
    if connection.vendor == "postgresql":
        assert _rows_read_from_works(page) <= (STUDENTS + 1) * WEEKS
    else:
        plan = _sqlite_plan(page)
        assert "SCAN submissions_weeklywork" not in plan, plan


@pytest.mark.parametrize("viewer", ["mentor", "instructor"])
def test_the_review_queue_reads_only_the_viewers_cohort(crowded, viewer):
    queue = review_queue_works(getattr(crowded, viewer))
    assert queue.count() == STUDENTS * WEEKS
    if connection.vendor == "postgresql":
        assert _rows_read_from_works(queue) <= (STUDENTS + 1) * WEEKS
    else:
        plan = _sqlite_plan(queue)
        assert "SCAN submissions_weeklywork" not in plan, plan
