"""The rule "works visible to this user" has one owner: WeeklyWork.objects.visible_to (and
reviewable_by, the same minus one's own work). The works list of the API and the review
queue (page and API) ask it; these tests walk one tricky case through all of them: a
student who is in two cohorts but mentored in only one."""

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.models import Membership
from submissions import services
from submissions.models import WeeklyWork
from submissions.policies import can_view_work
from tests.factories import MembershipFactory, MentorAssignmentFactory, PersonalAccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    token = PersonalAccessTokenFactory(user=user)
    return Client(headers={"Authorization": f"Bearer {token.plaintext}"})


def submitted(student, cohort, number) -> WeeklyWork:
    work = services.work_get_or_create(student=student, cohort=cohort, week=cohort.course.weeks.get(number=number))
    services.work_submit(work=work, by=student)
    return work


@pytest.fixture
def split(people):
    """people.student is also a student of the other cohort, where people.mentor mentors
    nobody; people.foreign_mentor mentors them there."""
    MembershipFactory(cohort=people.other_cohort, user=people.student, role=Membership.Role.STUDENT)
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role=Membership.Role.MENTOR)
    MentorAssignmentFactory(cohort=people.other_cohort, mentor=people.foreign_mentor, student=people.student)
    here = submitted(people.student, people.cohort, 20)
    there = submitted(people.student, people.other_cohort, 21)
    other = submitted(people.other_student, people.cohort, 20)
    return here, there, other


def api_ids(user) -> set[int]:
    response = bearer(user).get("/api/v1/works/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


def queue_page_ids(user, client_for) -> set[int]:
    response = client_for(user).get(reverse("rubrics:queue"))
    assert response.status_code == 200
    return {item.work.pk for item in response.context["items"]}


def queue_api_ids(user) -> set[int]:
    response = bearer(user).get("/api/v1/review/queue/")
    assert response.status_code == 200
    return {row["work_id"] for row in response.json()["results"]}


def test_a_mentor_sees_a_student_only_in_the_cohort_where_they_mentor_them(people, split, client_for):
    here, there, other = split
    assert api_ids(people.mentor) == {here.pk, other.pk}
    assert queue_page_ids(people.mentor, client_for) == {here.pk, other.pk}
    assert queue_api_ids(people.mentor) == {here.pk, other.pk}
    assert api_ids(people.foreign_mentor) == {there.pk}
    assert queue_page_ids(people.foreign_mentor, client_for) == {there.pk}


def test_instructors_see_their_cohort_and_students_their_own_work_but_review_none(people, split, client_for):
    here, there, other = split
    assert api_ids(people.instructor) == {here.pk, other.pk}
    assert queue_page_ids(people.instructor, client_for) == {here.pk, other.pk}
    assert api_ids(people.foreign_instructor) == {there.pk}
    assert api_ids(people.student) == {here.pk, there.pk}
    assert api_ids(people.other_student) == {other.pk}
    assert api_ids(people.unassigned_mentor) == set()
    assert api_ids(people.admin) >= {here.pk, there.pk, other.pk}


def test_a_mentor_who_is_also_a_student_never_reviews_their_own_work(people, client_for):
    mentor_student = UserFactory()
    MembershipFactory(cohort=people.other_cohort, user=mentor_student, role=Membership.Role.INSTRUCTOR)
    MembershipFactory(cohort=people.cohort, user=mentor_student, role=Membership.Role.STUDENT)
    own = submitted(mentor_student, people.cohort, 20)
    foreign = submitted(people.foreign_student, people.other_cohort, 20)
    assert api_ids(mentor_student) == {own.pk, foreign.pk}
    assert queue_page_ids(mentor_student, client_for) == {foreign.pk}
    assert queue_api_ids(mentor_student) == {foreign.pk}


def test_the_list_rule_matches_the_per_object_policy(people, split):
    works = list(WeeklyWork.objects.select_related("cohort", "student"))
    for user in (people.mentor, people.foreign_mentor, people.instructor, people.student, people.stranger):
        visible = set(WeeklyWork.objects.visible_to(user).values_list("pk", flat=True))
        assert visible == {w.pk for w in works if can_view_work(user, w)}, user
