"""The grades and mastery pages: who may open them, what they show, and a query count that
does not grow with the cohort."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cohorts.models import Membership
from cohorts.services import cohort_grades_changed
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
    # 12: session, user, the cohort with the viewer's role in it, the progress policy (the
    # student by their membership here, the mentor assignment), the gradebook columns (weeks,
    # projects, deliverables), its row (extensions, works with their latest mentor score), the
    # mentor decisions, navigation roles.
    with django_assert_num_queries(12):
        response = client.get(reverse("progress:grades", args=[people.cohort.slug, people.student.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("extra", [3, 198])
def test_the_mastery_page_runs_a_fixed_number_of_queries(people, scored, client_for, django_assert_num_queries, extra):
    _students(people.cohort, extra)
    client = client_for(people.mentor)
    url = reverse("progress:mastery", args=[people.cohort.slug, people.student.pk])
    cache.clear()
    # The first view computes the cohort's criterion medians (two queries: the scores grouped
    # in SQL and the criteria with their top level), the learner's mastery, and caches both.
    # 18: session, user, the cohort with the viewer's role in it, the progress policy (the
    # student by their membership here, the mentor assignment), the mentor scores' version
    # (the content's key), Bloom levels, weeks, extensions, the cells' counts grouped in SQL,
    # the objectives behind the cells, the per-level summary, the medians' version, the two of
    # the medians, the student's own criterion scores, the next due date passing (how long
    # to keep the content), navigation roles.
    with django_assert_num_queries(18):
        first = client.get(url)
    assert first.status_code == 200
    # 7: a repeat is the whole page from the cache (core/pagecache.py; its key holds the
    # content's, progress/page_cache.py): session, user, cohort, the policy's two, the mentor
    # scores' version, navigation roles (in the key: what the layout shows).
    with django_assert_num_queries(7):
        again = client.get(url)
    assert again.status_code == 200 and b"Mastery of" in again.content
    # 16: after a change in the cohort (a new grades_version: a new key for the page and the
    # content) the content is made again, the medians still cached.
    cohort_grades_changed(cohort_id=people.cohort.pk)
    with django_assert_num_queries(16):
        assert client.get(url).status_code == 200


def test_a_mentor_here_who_studies_in_another_cohort_has_no_learner_pages_here(people, client_for):
    """The student is found by their membership of this cohort as a student (one join), not by
    a student membership anywhere and a membership here."""
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role=Membership.Role.STUDENT)
    client = client_for(people.instructor)
    for page in PAGES:
        assert client.get(reverse(page, args=[people.cohort.slug, people.mentor.pk])).status_code == 404
