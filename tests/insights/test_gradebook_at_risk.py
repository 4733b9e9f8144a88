"""The gradebook and the heatmap mark the students at risk and filter to them, by the one
at-risk selector (insights.selectors.at_risk_students) under the cohort's rules."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Membership
from insights.selectors import at_risk_followed
from tests.factories import AtRiskRulesFactory, MembershipFactory, MentorAssignmentFactory
from tests.reports.bulk import bulk_cohort

from .conftest import submit
from .test_gradebook import FAST_PATH_MISS, FAST_PATH_MISS_SEEN

pytestmark = pytest.mark.django_db

MARK = '<span class="badge danger gb-mark">at risk</span>'


@pytest.fixture
def cohort_in_week_6(people):
    """Week 6 of the people fixture's cohort opened yesterday. The other student handed in
    weeks 1 to 5; the student and a third student (the unassigned mentor's) handed in
    nothing: two students at risk, by weeks behind (retrospectives are off here)."""
    start = timezone.localdate() - datetime.timedelta(days=36)
    Cohort.objects.filter(pk=people.cohort.pk).update(start_date=start)
    people.cohort.refresh_from_db()
    AtRiskRulesFactory(cohort=people.cohort, missing_retrospectives=0, overdue_high_risks=0)
    people.third = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="Cy Young").user
    MentorAssignmentFactory(cohort=people.cohort, mentor=people.unassigned_mentor, student=people.third)
    for number in range(1, 6):
        submit(people.other_student, people.cohort, number)
    return people


def rows_of(response) -> dict[str, bool]:
    return {row.name: row.marked for row in response.context["book"].rows}


@pytest.mark.parametrize("view", ["insights:gradebook", "insights:heatmap"])
def test_students_at_risk_are_marked(cohort_in_week_6, client_for, view):
    people = cohort_in_week_6
    response = client_for(people.instructor).get(reverse(view, args=[people.cohort.slug]))
    assert rows_of(response) == {
        people.student.display_name: True,
        people.other_student.display_name: False,
        "Cy Young": True,
    }
    html = response.content.decode()
    assert html.count(MARK) == 2
    assert reverse("insights:at_risk", args=[people.cohort.slug]) in html  # the legend says where the reasons are


@pytest.mark.parametrize("view", ["insights:gradebook", "insights:heatmap"])
def test_the_at_risk_filter_keeps_only_them_and_the_links_keep_the_filter(cohort_in_week_6, client_for, view):
    people = cohort_in_week_6
    response = client_for(people.instructor).get(reverse(view, args=[people.cohort.slug]), {"at_risk": "on"})
    assert rows_of(response) == {people.student.display_name: True, "Cy Young": True}
    assert response.context["book"].student_count == 2
    html = response.content.decode()
    assert 'name="at_risk" id="id_at_risk" checked' in html
    assert "sort=name&amp;dir=desc" in html and "at_risk=on" in response.context["name_header"]["href"]


def test_a_mentor_filters_among_their_own_students(cohort_in_week_6, client_for):
    people = cohort_in_week_6
    response = client_for(people.mentor).get(
        reverse("insights:gradebook", args=[people.cohort.slug]), {"at_risk": "on"}
    )
    assert rows_of(response) == {people.student.display_name: True}


def test_the_filter_follows_the_rules_as_tuned(cohort_in_week_6, client_for):
    people = cohort_in_week_6
    people.cohort.at_risk_rules.weeks_behind = 0
    people.cohort.at_risk_rules.save(update_fields=["weeks_behind"])
    response = client_for(people.instructor).get(
        reverse("insights:gradebook", args=[people.cohort.slug]), {"at_risk": "on"}
    )
    assert rows_of(response) == {}
    assert "No students to show." in response.content.decode()


# The gradebook's own sixteen (tests/insights/test_gradebook.py) and the at-risk part's six:
# the rules and the next due date (the viewer's cached at-risk map, insights.selectors.
# at_risk_followed), then, the map not cached yet, the rules decided in SQL (weeks, extensions,
# the one aggregate) and, with the filter, the number of students followed; without the filter
# the marks check the page's students only and read the rules once more.
MARKED_PAGE_QUERIES = 16 + 6


@pytest.mark.parametrize("size", [5, 200])
@pytest.mark.parametrize("at_risk", [False, True])
def test_marks_and_filter_run_a_fixed_number_of_queries(people, client_for, django_assert_num_queries, size, at_risk):
    bulk_cohort(people.cohort, size - 2, mentor=people.mentor)
    client = client_for(people.instructor)
    params = {"sort": "total", "dir": "desc"} | ({"at_risk": "on"} if at_risk else {})
    client.get(reverse("insights:gradebook", args=[people.cohort.slug]))  # the column averages cached
    # The filter reads the rule for every student in scope (a subquery, no extra query) and
    # hands the page the ones to keep; without it only the page's students are checked (unless
    # the viewer's map is cached: test_marks_come_from_the_cached_map).
    # Without the filter, the sort by total makes the whole cohort's order once for this version
    # (one more query: the students, then their totals grouped in one pass); with it the page is
    # a keyset query over the students kept, and the map is made from the stored inputs
    # (insights.selectors.at_risk_from_inputs: the students followed read with their inputs in
    # one query, where the aggregate and the count of students were two).
    with django_assert_num_queries(MARKED_PAGE_QUERIES + (-1 if at_risk else 1) + FAST_PATH_MISS):
        response = client.get(reverse("insights:gradebook", args=[people.cohort.slug]), params)
    assert response.status_code == 200
    book = response.context["book"]
    if at_risk:
        assert all(row.marked for row in book.rows) and book.student_count >= 2
    assert len(book.rows) == min(book.student_count, 50)


@pytest.mark.parametrize("size", [5, 200])
def test_marks_come_from_the_cached_map(people, client_for, django_assert_num_queries, size):
    bulk_cohort(people.cohort, size - 2, mentor=people.mentor)
    client = client_for(people.instructor)
    url = reverse("insights:gradebook", args=[people.cohort.slug])
    client.get(url)  # the column averages cached
    client.get(reverse("insights:at_risk", args=[people.cohort.slug]))  # the instructor's map made
    # The gradebook's seventeen (its sixteen and the score order made), the rules and the next
    # due date: the map is read, not made.
    with django_assert_num_queries(17 + 2 + FAST_PATH_MISS_SEEN):  # the session seen by the map's request
        response = client.get(url, {"sort": "total", "dir": "desc"})
    book = response.context["book"]
    assert len(book.rows) == min(book.student_count, 50)
    cohort = Cohort.objects.get(pk=people.cohort.pk)
    flagged = set(at_risk_followed(cohort, people.instructor).found)
    assert flagged  # the fixture's two students have done nothing
    assert {row.student_id for row in book.rows if row.marked} == flagged & {row.student_id for row in book.rows}
    # With the filter the page is a keyset query over the students kept (no whole-cohort order).
    with django_assert_num_queries(16 + 2 + FAST_PATH_MISS_SEEN):
        response = client.get(url, {"sort": "total", "dir": "desc", "at_risk": "on"})
    assert all(row.marked for row in response.context["book"].rows)
