"""Who may use the review queue, score a calibration run and assign peer reviewers now: each
policy per role, and the page or endpoint that asks it."""

import pytest
from django.http import Http404
from django.urls import reverse

from cohorts.models import Membership
from rubrics import policies
from rubrics.services import calibration_run_create
from tests.factories import MembershipFactory

from .conftest import submit

pytestmark = pytest.mark.django_db

ROLES = ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin"]


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("student", False),
        ("other_student", False),
        ("mentor", True),
        ("foreign_mentor", True),  # a mentor has a queue of their own cohort's students
        ("instructor", True),
        ("admin", True),
    ],
)
def test_review_queue_is_for_mentors_instructors_and_admins(people, client_for, role, allowed):
    user = getattr(people, role)
    assert policies.can_use_review_queue(user) is allowed
    page = client_for(user).get(reverse("rubrics:queue"))
    assert page.status_code == 200 if allowed else page.status_code == 302
    if not allowed:
        assert page["Location"] == reverse("rubrics:peer_queue")
    api = client_for(user).get("/api/v1/review/queue/")
    assert api.status_code == (200 if allowed else 403)


def test_review_queue_refuses_an_inactive_mentor(people):
    people.mentor.is_active = False
    assert policies.can_use_review_queue(people.mentor) is False


@pytest.fixture
def run(people, rubric):
    return calibration_run_create(
        cohort=people.cohort,
        revision=submit(people.student, people.cohort),
        created_by=people.instructor,
        mentors=[people.mentor, MembershipFactory(cohort=people.cohort, role=Membership.Role.MENTOR).user],
    )


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("student", False),
        ("other_student", False),
        ("mentor", True),  # asked to score this run
        ("foreign_mentor", False),
        ("instructor", False),  # manages the run, scores nothing
        ("admin", False),
    ],
)
def test_only_the_runs_mentors_score_a_calibration_run(people, run, role, allowed):
    assert policies.is_calibration_mentor(getattr(people, role), run) is allowed


def test_a_mentor_of_the_cohort_not_asked_to_score_is_no_calibration_mentor(people, run):
    assert policies.is_calibration_mentor(people.unassigned_mentor, run) is False


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("student", False),
        ("other_student", False),
        ("mentor", False),
        ("foreign_mentor", False),
        ("instructor", True),
        ("admin", True),
    ],
)
def test_assigning_peer_reviewers_now_is_for_the_cohorts_instructors_and_admins(people, client_for, role, allowed):
    user = getattr(people, role)
    assert policies.can_assign_peer_reviewers(user, people.cohort) is allowed
    response = client_for(user).post(reverse("rubrics:peer_assign", args=[people.cohort.slug]))
    if allowed:
        assert response.status_code == 302
        assert response["Location"] == reverse("rubrics:gradebook", args=[people.cohort.slug])
    else:
        assert response.status_code == 404


def test_an_instructor_of_another_cohort_may_not_assign_peer_reviewers(people):
    assert policies.can_assign_peer_reviewers(people.foreign_instructor, people.cohort) is False


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("student", True),  # their own
        ("other_student", False),
        ("mentor", True),  # assigned to the student
        ("foreign_mentor", False),
        ("instructor", True),
        ("admin", True),
    ],
)
def test_a_students_progress_is_for_them_their_mentors_instructors_and_admins(people, role, allowed):
    user = getattr(people, role)
    if allowed:
        assert policies.student_get_for_progress(user, people.cohort, people.student.pk) == people.student
    else:
        with pytest.raises(Http404):
            policies.student_get_for_progress(user, people.cohort, people.student.pk)


def test_progress_of_someone_who_is_no_student_of_the_cohort_is_404(people):
    for someone in (people.mentor, people.foreign_student):
        with pytest.raises(Http404):
            policies.student_get_for_progress(people.instructor, people.cohort, someone.pk)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("student", False),
        ("other_student", False),
        ("mentor", True),
        ("foreign_mentor", False),
        ("instructor", True),
        ("admin", True),
    ],
)
def test_the_gradebook_is_for_the_cohorts_mentors_instructors_and_admins(people, role, allowed):
    user = getattr(people, role)
    if allowed:
        assert policies.cohort_get_for_gradebook(user, people.cohort.slug) == people.cohort
    else:
        with pytest.raises(Http404):
            policies.cohort_get_for_gradebook(user, people.cohort.slug)
