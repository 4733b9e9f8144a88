"""The at-risk list kept whole by core.pagecache and answered before the middleware
(courseplatform/fast_path.py): every change it shows reaches the very next request. The rules
and every input of them (a submission, a risk logged or closed, members, mentors, extensions)
bump the cohort's grades_version in their transaction; a due date passing writes nothing, so
the entry ends when the next one passes (cohorts.selectors.next_due_passing)."""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cohorts import services as cohort_services
from cohorts.models import Extension, Membership, MentorAssignment
from cohorts.selectors import next_due_passing
from insights.services import at_risk_rules_update
from submissions.models import RiskEntry
from submissions.services import risk_entry_close, risk_entry_create
from tests.factories import UserFactory
from tests.insights.conftest import submit

pytestmark = pytest.mark.django_db

# Every rule off but the one a test turns on.
OFF = {
    "weeks_behind": 0,
    "falling_score_weeks": 0,
    "max_revisions": 0,
    "missing_retrospectives": 0,
    "overdue_high_risks": 0,
}


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def fast(response) -> bool:
    return getattr(response, "page_cache_path", None) == "fast"


def url(people) -> str:
    return reverse("insights:at_risk", args=[people.cohort.slug])


def warmed(client_for, user, people):
    """A browser whose next request of the list is a fast-path hit."""
    client = client_for(user)
    assert client.get(url(people)).page_cache == "miss"
    assert django_settings.CSRF_COOKIE_NAME in client.cookies
    assert fast(client.get(url(people)))
    return client


def fresh(client, people) -> str:
    """The next answer, which a change must have made anew (not a kept entry)."""
    response = client.get(url(people))
    assert response.status_code == 200 and not fast(response) and response.page_cache == "miss"
    return response.content.decode()


@pytest.fixture
def behind(running):
    """Only "5 weeks behind" on: the student (nothing done in weeks 1 to 5) is at risk, the
    other student (everything done) is not."""
    at_risk_rules_update(cohort=running.cohort, **{**OFF, "weeks_behind": 5})
    return running


def test_a_rule_change_shows_at_once(behind, client_for):
    client = warmed(client_for, behind.instructor, behind)
    assert "1 of 2 students of the cohort" in client.get(url(behind)).content.decode()
    at_risk_rules_update(cohort=behind.cohort, **OFF)
    html = fresh(client, behind)
    assert "0 of 2 students of the cohort" in html and "Weeks behind: <strong>off</strong>" in html


def test_a_submission_shows_at_once(behind, client_for):
    client = warmed(client_for, behind.instructor, behind)
    submit(behind.student, behind.cohort, 1)  # four weeks missing now
    assert "0 of 2 students of the cohort" in fresh(client, behind)


def test_a_risk_logged_and_closed_shows_at_once(running, client_for):
    at_risk_rules_update(cohort=running.cohort, **{**OFF, "overdue_high_risks": 1})
    client = warmed(client_for, running.instructor, running)
    weeks = {w.number: w for w in running.cohort.course.weeks.filter(number__in=(1, 2))}
    entry = risk_entry_create(
        student=running.student,
        cohort=running.cohort,
        week=weeks[1],
        kind=RiskEntry.Kind.RISK,
        title="The read replica lags",
        severity=RiskEntry.Severity.HIGH,
    )
    html = fresh(client, running)
    assert "1 of 2 students of the cohort" in html and running.student.display_name in html
    assert fast(client.get(url(running)))
    risk_entry_close(entry=entry, week=weeks[2])
    assert "0 of 2 students of the cohort" in fresh(client, running)


def test_a_member_added_and_removed_shows_at_once(behind, client_for):
    client = warmed(client_for, behind.instructor, behind)
    newcomer = UserFactory(name="Newly Arrived")
    membership, _ = cohort_services.membership_ensure(cohort=behind.cohort, user=newcomer, role=Membership.Role.STUDENT)
    html = fresh(client, behind)
    assert "2 of 3 students of the cohort" in html and "Newly Arrived" in html
    assert fast(client.get(url(behind)))
    cohort_services.membership_remove(membership=membership)
    html = fresh(client, behind)
    assert "1 of 2 students of the cohort" in html and "Newly Arrived" not in html


def test_a_mentor_assigned_and_unassigned_shows_at_once(behind, client_for):
    mentor = warmed(client_for, behind.mentor, behind)
    other = warmed(client_for, behind.unassigned_mentor, behind)
    assert "1 of 2 students you mentor" in mentor.get(url(behind)).content.decode()
    assert "0 of 0 students you mentor" in other.get(url(behind)).content.decode()
    cohort_services.mentor_unassign(
        assignment=MentorAssignment.objects.get(mentor=behind.mentor, student=behind.student)
    )
    assert "0 of 1 students you mentor" in fresh(mentor, behind)
    cohort_services.mentor_assign(cohort=behind.cohort, mentor=behind.unassigned_mentor, student=behind.student)
    html = fresh(other, behind)
    assert "1 of 1 students you mentor" in html and behind.student.display_name in html


def test_an_extension_granted_and_withdrawn_shows_at_once(behind, client_for):
    client = warmed(client_for, behind.instructor, behind)
    cohort_services.extension_grant(
        cohort=behind.cohort,
        student=behind.student,
        week=behind.cohort.course.weeks.get(number=5),
        due_at=timezone.now() + datetime.timedelta(days=3),
        reason="Ill",
        granted_by=behind.instructor,
    )
    assert "0 of 2 students of the cohort" in fresh(client, behind)  # four weeks missing, one extended
    assert fast(client.get(url(behind)))
    cohort_services.extension_revoke(extension=Extension.objects.get(student=behind.student))
    assert "1 of 2 students of the cohort" in fresh(client, behind)


def test_a_due_date_passing_shows_at_once_with_nothing_written(behind, client_for):
    """The student's extension of week 5 ends in three seconds: then they are five weeks behind
    with no row written; the kept list ends with it and the next request shows them."""
    due = timezone.now() + datetime.timedelta(seconds=3)
    cohort_services.extension_grant(
        cohort=behind.cohort,
        student=behind.student,
        week=behind.cohort.course.weeks.get(number=5),
        due_at=due,
        reason="A day off",
        granted_by=behind.instructor,
    )
    assert next_due_passing(behind.cohort, numbers=range(1, 25), now=timezone.now()) == due
    client = client_for(behind.instructor)
    assert "0 of 2 students of the cohort" in client.get(url(behind)).content.decode()
    if timezone.now() < due - datetime.timedelta(seconds=1):
        assert fast(client.get(url(behind)))  # kept until then
    time.sleep(max(0.0, (due - timezone.now()).total_seconds()) + 0.2)
    html = fresh(client, behind)
    assert "1 of 2 students of the cohort" in html and behind.student.display_name in html
