"""Query counts of the list endpoints, pinned on realistically large data so an N+1 shows.

Clients authenticate with a token that was already used within the minute, so the token
costs one lookup and no last-used write."""

import datetime

import pytest

from cohorts.models import Membership
from tests.factories import (
    CohortFactory,
    ExtensionFactory,
    MembershipFactory,
    MentorAssignmentFactory,
    PersonalAccessTokenFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_cohort(people):
    """200 more students, each with a mentor assignment and an extension."""
    for number in range(200):
        student = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
        MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor, student=student)
        ExtensionFactory(
            cohort=people.cohort,
            student=student,
            week=people.cohort.course.weeks.get(number=1 + number % 24),
            due_at=datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC),
        )
    return people.cohort


def test_bloom_levels_list_queries(client_for, course, django_assert_num_queries):
    with django_assert_num_queries(1):  # levels
        assert client_for(None).get("/api/v1/bloom-levels/").status_code == 200


def test_courses_list_queries(client_for, course, django_assert_num_queries):
    with django_assert_num_queries(2):  # count, courses with week counts
        assert client_for(None).get("/api/v1/courses/").status_code == 200


def test_course_detail_queries(client_for, course, django_assert_num_queries):
    with django_assert_num_queries(2):  # course, weeks
        assert client_for(None).get(f"/api/v1/courses/{course.slug}/").status_code == 200


def test_weeks_list_queries(client_for, course, django_assert_num_queries):
    # course, count, weeks, objectives with Bloom levels (24 weeks, 192 objectives)
    with django_assert_num_queries(4):
        assert len(client_for(None).get(f"/api/v1/courses/{course.slug}/weeks/").json()["results"]) == 24


def test_week_detail_queries(client_for, course, django_assert_num_queries):
    # course, week with lab, objectives with levels, quality gates, deliverables with projects
    with django_assert_num_queries(5):
        assert client_for(None).get(f"/api/v1/courses/{course.slug}/weeks/8/").status_code == 200


def test_capstones_list_queries(client_for, course, django_assert_num_queries):
    with django_assert_num_queries(3):  # course, projects, deliverables with due weeks
        assert client_for(None).get(f"/api/v1/courses/{course.slug}/capstones/").status_code == 200


def test_cohorts_list_queries(people, warm_client, django_assert_num_queries):
    for _ in range(30):
        MembershipFactory(cohort=CohortFactory(), user=people.mentor, role=Membership.Role.MENTOR)
    client = warm_client(people.mentor)
    with django_assert_num_queries(3):  # token, cohorts with counts, my memberships
        assert len(client.get("/api/v1/cohorts/").json()["results"]) == 31


def test_memberships_list_queries(big_cohort, people, warm_client, django_assert_num_queries):
    client = warm_client(people.instructor)
    # token, cohort, my role (may view), my role (roster), one page of members with users
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/cohorts/{big_cohort.slug}/memberships/")
    assert len(response.json()["results"]) == 50


def test_mentor_assignments_list_queries(big_cohort, people, warm_client, django_assert_num_queries):
    client = warm_client(people.mentor)
    # token, cohort, my role (may view), my role (roster), count, page with mentors and students
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/cohorts/{big_cohort.slug}/mentor-assignments/")
    assert response.json()["count"] == 202


def test_extensions_list_queries(big_cohort, people, warm_client, django_assert_num_queries):
    client = warm_client(people.instructor)
    # token, cohort, my role (may view), my role (manage), count, page with students, weeks, granters
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/cohorts/{big_cohort.slug}/extensions/")
    assert response.json()["count"] == 200


def test_schedule_queries(big_cohort, people, warm_client, django_assert_num_queries):
    client = warm_client(people.student)
    # token, cohort, my role (may view), my student membership, my extensions, weeks
    with django_assert_num_queries(6):
        assert len(client.get(f"/api/v1/cohorts/{big_cohort.slug}/schedule/").json()) == 24


def test_tokens_list_queries(warm_client, django_assert_num_queries):
    user = UserFactory()
    for _ in range(60):
        PersonalAccessTokenFactory(user=user)
    client = warm_client(user)
    with django_assert_num_queries(3):  # token, count, page of tokens
        assert len(client.get("/api/v1/tokens/").json()["results"]) == 50
