"""Cohort endpoints show what the cohort page shows, to the same people."""

import datetime

import pytest

from cohorts.models import Extension, Membership, MentorAssignment
from tests.factories import ExtensionFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_student_sees_only_who_teaches_without_emails(people, bearer_client):
    rows = bearer_client(people.student).get(f"/api/v1/cohorts/{people.cohort.slug}/memberships/").json()["results"]
    assert {row["role"] for row in rows} == {"mentor", "instructor"}
    assert {row["user"]["id"] for row in rows} == {people.mentor.pk, people.unassigned_mentor.pk, people.instructor.pk}
    assert all(row["user"]["email"] is None for row in rows)


def test_mentor_sees_the_whole_roster_with_emails(people, bearer_client):
    rows = bearer_client(people.mentor).get(f"/api/v1/cohorts/{people.cohort.slug}/memberships/").json()["results"]
    emails = {row["user"]["email"] for row in rows}
    assert {people.student.email, people.other_student.email, people.instructor.email} <= emails
    assert people.foreign_student.email not in emails


def test_memberships_filter_by_role(people, bearer_client):
    url = f"/api/v1/cohorts/{people.cohort.slug}/memberships/?role=student"
    rows = bearer_client(people.instructor).get(url).json()["results"]
    assert {row["user"]["id"] for row in rows} == {people.student.pk, people.other_student.pk}


def test_memberships_page_with_cursors(people, bearer_client):
    for _ in range(3):
        MembershipFactory(cohort=people.cohort)
    client = bearer_client(people.instructor)
    first = client.get(f"/api/v1/cohorts/{people.cohort.slug}/memberships/?page_size=4").json()
    second = client.get(first["next"]).json()
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(first["results"]) == 4
    assert len(ids) == len(set(ids)) == Membership.objects.filter(cohort=people.cohort).count()


def test_student_detail_hides_management_and_roster(people, bearer_client):
    body = bearer_client(people.student).get(f"/api/v1/cohorts/{people.cohort.slug}/").json()
    assert body["my_role"] == "student"
    assert body["can_manage"] is False
    assert body["can_view_roster"] is False
    assert {teacher["user"]["id"] for teacher in body["teachers"]} >= {people.instructor.pk}


def test_cohort_list_shows_only_my_cohorts_and_filters_by_role(people, bearer_client):
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role=Membership.Role.INSTRUCTOR)
    client = bearer_client(people.mentor)
    assert {row["slug"] for row in client.get("/api/v1/cohorts/").json()["results"]} == {
        people.cohort.slug,
        people.other_cohort.slug,
    }
    rows = client.get("/api/v1/cohorts/?role=instructor").json()["results"]
    assert [(row["slug"], row["my_role"]) for row in rows] == [(people.other_cohort.slug, "instructor")]


def test_stranger_lists_no_cohorts(people, bearer_client):
    assert bearer_client(people.stranger).get("/api/v1/cohorts/").json()["results"] == []


def test_student_schedule_includes_their_extension(people, bearer_client):
    due = datetime.datetime(2026, 9, 20, 12, 0, tzinfo=datetime.UTC)
    ExtensionFactory(cohort=people.cohort, student=people.student, due_at=due)
    url = f"/api/v1/cohorts/{people.cohort.slug}/schedule/"
    mine = bearer_client(people.student).get(url).json()
    theirs = bearer_client(people.other_student).get(url).json()
    assert len(mine) == 24
    assert mine[0]["extended_due_at"] == "2026-09-20T12:00:00Z"
    assert mine[0]["effective_due_at"] == "2026-09-20T12:00:00Z"
    assert theirs[0]["extended_due_at"] is None


def test_instructor_removes_a_member_and_their_assignments(people, bearer_client):
    membership = Membership.objects.get(cohort=people.cohort, user=people.student)
    url = f"/api/v1/cohorts/{people.cohort.slug}/memberships/{membership.pk}/"
    assert bearer_client(people.instructor).delete(url).status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not MentorAssignment.objects.filter(cohort=people.cohort, student=people.student).exists()


def test_adding_an_existing_member_in_the_same_role_answers_200(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/memberships/",
        {"email": people.student.email.upper(), "role": "student"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["user"]["id"] == people.student.pk


def test_foreign_instructor_cannot_add_members(people, bearer_client):
    response = bearer_client(people.foreign_instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/memberships/",
        {"email": UserFactory().email, "role": "student"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_mentor_assignment_needs_members_of_the_cohort(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/mentor-assignments/",
        {"mentor": people.foreign_mentor.pk, "student": people.student.pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "mentor"


def test_extension_without_offset_is_read_in_the_cohort_time_zone(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/extensions/",
        {"student": people.student.pk, "week": 1, "due_at": "2026-09-20T18:00:00"},
        content_type="application/json",
    )
    assert response.status_code == 201
    extension = Extension.objects.get(cohort=people.cohort, student=people.student)
    assert extension.due_at == datetime.datetime(2026, 9, 20, 16, 0, tzinfo=datetime.UTC)  # Berlin, summer time
    assert extension.granted_by == people.instructor


def test_extension_before_the_regular_due_date_is_refused_with_the_field(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/extensions/",
        {"student": people.student.pk, "week": 1, "due_at": "2026-09-08T10:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "due_at"
