"""The rule "is a student (mentor, instructor) of this cohort" has one owner, the Membership
queryset (cohorts.models.MembershipQuerySet). These tests pin the rule itself and then walk
it through the pages and the API that ask it, so a caller cannot drift back to its own copy."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from cohorts.models import Membership
from tests.factories import MembershipFactory, PersonalAccessTokenFactory

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    token = PersonalAccessTokenFactory(user=user)
    return Client(headers={"Authorization": f"Bearer {token.plaintext}"})


def test_each_role_answers_for_its_own_cohort_only(people):
    members = Membership.objects
    assert members.is_student(user=people.student, cohort=people.cohort)
    assert not members.is_student(user=people.student, cohort=people.other_cohort)
    assert not members.is_student(user=people.mentor, cohort=people.cohort)
    assert members.is_mentor(user=people.mentor, cohort=people.cohort)
    assert not members.is_mentor(user=people.foreign_mentor, cohort=people.cohort)
    assert members.is_instructor(user=people.instructor, cohort=people.cohort)
    assert not members.is_instructor(user=people.foreign_instructor, cohort=people.cohort)
    assert members.is_teacher(user=people.mentor, cohort=people.cohort)
    assert members.is_teacher(user=people.instructor, cohort=people.cohort)
    assert not members.is_teacher(user=people.student, cohort=people.cohort)
    assert members.role_of(user=people.stranger, cohort=people.cohort) is None
    assert members.role_of(user=people.instructor, cohort=people.cohort) == Membership.Role.INSTRUCTOR


def test_an_anonymous_visitor_holds_no_role_and_costs_no_query(people, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert Membership.objects.role_of(user=AnonymousUser(), cohort=people.cohort) is None
        assert not Membership.objects.is_student(user=AnonymousUser(), cohort=people.cohort)


def test_the_students_of_a_cohort_are_the_same_set_everywhere(people):
    students = set(Membership.objects.filter(cohort=people.cohort).students().values_list("user_id", flat=True))
    assert students == {people.student.pk, people.other_student.pk}
    assert set(
        Membership.objects.instructed_cohort_ids(user=people.instructor).values_list("cohort_id", flat=True)
    ) == {people.cohort.pk}


def test_a_mentor_of_the_cohort_gets_no_workspace_on_the_page_or_over_the_api(people, client_for):
    """The week page (submissions.views) and `POST /api/v1/works/` (submissions.api) both ask
    the owner: a mentor is a member of the cohort but not one of its students."""
    page = client_for(people.mentor).get(reverse("submissions:open_week", args=[people.cohort.slug, 1]))
    assert page.status_code == 404
    api = bearer(people.mentor).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "week": 1}, content_type="application/json"
    )
    assert api.status_code == 403
    # The same request from a student of the cohort succeeds on both.
    assert (
        client_for(people.student).post(reverse("submissions:open_week", args=[people.cohort.slug, 1])).status_code
        == 302
    )
    created = bearer(people.student).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "week": 2}, content_type="application/json"
    )
    assert created.status_code == 201


def test_a_student_who_became_a_mentor_is_no_student_for_the_dashboard_or_the_report_api(people, client_for):
    """The instructor's view of a student's dashboard (submissions.views) and a student report
    requested over the API (reports.api, reports.policies) follow the same rule."""
    convert = people.other_student
    Membership.objects.filter(user=convert, cohort=people.cohort).delete()
    MembershipFactory(cohort=people.cohort, user=convert, role=Membership.Role.MENTOR)
    dashboard = reverse("submissions:student_dashboard", args=[people.cohort.slug, convert.pk])
    assert client_for(people.instructor).get(dashboard).status_code == 404
    body = {"kind": "student", "format": "csv", "cohort": people.cohort.slug, "student": convert.pk}
    response = bearer(people.instructor).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "student"
    # A student of the cohort passes both.
    assert (
        client_for(people.instructor)
        .get(reverse("submissions:student_dashboard", args=[people.cohort.slug, people.student.pk]))
        .status_code
        == 200
    )
    body["student"] = people.student.pk
    assert bearer(people.instructor).post("/api/v1/reports/", body, content_type="application/json").status_code == 201
