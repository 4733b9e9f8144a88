"""The grades and mastery pages: who may open them, what they show, and a query count that
does not grow with the cohort."""

import pytest
from django.urls import reverse

from cohorts.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PAGES = ["progress:grades", "progress:mastery"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    "who, status",
    [
        ("anonymous", 302),
        ("student", 200),
        ("other_student", 404),
        ("mentor", 200),
        ("unassigned_mentor", 404),
        ("foreign_mentor", 404),
        ("foreign_student", 404),
        ("instructor", 200),
        ("foreign_instructor", 404),
        ("admin", 200),
    ],
)
def test_who_may_open_a_learners_pages(people, client_for, page, who, status):
    client = client_for(None if who == "anonymous" else getattr(people, who))
    url = reverse(page, args=[people.cohort.slug, people.student.pk])
    assert client.get(url).status_code == status


def test_the_grades_page_shows_the_hand_computed_figures(people, scored, client_for):
    body = (
        client_for(people.student)
        .get(reverse("progress:grades", args=[people.cohort.slug, people.student.pk]))
        .content.decode()
    )
    assert "Your grades" in body
    assert "72.50" in body and "61.25" in body  # week 1 score, the average of 72.50 and 50.00
    assert reverse("rubrics:feedback", args=[scored.week1.pk]) in body
    assert reverse("rubrics:progress", args=[people.cohort.slug, people.student.pk]) in body
    assert "Request changes" in body


def test_the_mastery_page_shows_cells_objectives_and_the_median(people, scored, client_for):
    body = (
        client_for(people.mentor)
        .get(reverse("progress:mastery", args=[people.cohort.slug, people.student.pk]))
        .content.decode()
    )
    assert "Mastery of" in body
    assert 'class="mh-cell met"' in body and 'class="mh-cell not_yet"' in body
    assert "Week 1, Evaluate: </span>Not yet met" in body
    assert "87.5%" in body  # the cohort median of trade-off reasoning in week 1
    assert "<svg" in body and "Cohort median" in body


def test_the_navigation_takes_a_student_to_their_own_pages(people, client_for):
    client = client_for(people.student)
    body = client.get(reverse("submissions:dashboard")).content.decode()
    assert reverse("progress:my_grades") in body and reverse("progress:my_mastery") in body
    assert reverse("progress:grades", args=[people.cohort.slug, people.student.pk]) in body  # the dashboard link
    response = client.get(reverse("progress:my_mastery"))
    assert response.url == reverse("progress:mastery", args=[people.cohort.slug, people.student.pk])


def _students(cohort, count: int) -> None:
    for _ in range(count):
        MembershipFactory(cohort=cohort, role=Membership.Role.STUDENT)


@pytest.mark.parametrize("extra", [3, 198])
def test_the_grades_page_runs_a_fixed_number_of_queries(people, scored, client_for, django_assert_num_queries, extra):
    _students(people.cohort, extra)  # 5 and 200 students
    client = client_for(people.mentor)
    # 15: session, user, cohort, the viewer's role in it, the progress policy (the student,
    # the viewer's role, the mentor assignment, the student's membership), the gradebook
    # columns (weeks, projects, deliverables), its row (extensions, works with their latest
    # mentor score), the mentor decisions, navigation roles.
    with django_assert_num_queries(15):
        response = client.get(reverse("progress:grades", args=[people.cohort.slug, people.student.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [3, 198])
def test_the_mastery_page_runs_a_fixed_number_of_queries(people, scored, client_for, django_assert_num_queries, extra):
    _students(people.cohort, extra)
    client = client_for(people.mentor)
    url = reverse("progress:mastery", args=[people.cohort.slug, people.student.pk])
    # The first view computes the cohort's criterion medians (19: two more queries, the scores
    # grouped in SQL and the criteria with their top level) and caches them.
    with django_assert_num_queries(19):
        assert client.get(url).status_code == 200
    # 17: session, user, cohort, the viewer's role in it, the progress policy (four, as for
    # the grades), Bloom levels, weeks, extensions, the cells' counts grouped in SQL, the
    # objectives behind the cells, the per-level summary, the medians' version (the highest
    # mentor assessment id), the student's own criterion scores, navigation roles.
    with django_assert_num_queries(17):
        response = client.get(url)
    assert response.status_code == 200
