"""The latest mentor assessment of a work has one rule (rubrics.models.AssessmentQuerySet) in two
shapes: a condition per row (latest_mentor, for aggregates and subqueries) and a window read
(latest_mentor_ranked, for reading many works at once). Both must name the same assessment,
ties included, and the gradebook's sort by a total must match the totals it shows."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import User
from rubrics.models import Assessment
from rubrics.selectors import GradebookQuery, _score_order_in_sql, gradebook_columns, with_grade_totals

pytestmark = pytest.mark.django_db


def _tie(graded) -> Assessment:
    """Ada's week 1 scored again by the unassigned mentor at the very instant of the first
    scoring: the higher id stands."""
    first = Assessment.objects.get(revision__work__student=graded.student, revision__work__week__number=1)
    return Assessment.objects.create(
        revision=first.revision,
        rubric=first.rubric,
        scorer=graded.unassigned_mentor,
        kind=Assessment.Kind.MENTOR,
        decision=Assessment.Decision.ACCEPT,
        score=Decimal("55.25"),
        submitted_at=first.submitted_at,
    )


def _latest(queryset) -> dict[int, tuple[int, Decimal]]:
    return {work: (pk, score) for work, pk, score in queryset.values_list("revision__work_id", "pk", "score")}


def test_the_row_condition_and_the_window_read_name_the_same_assessments(graded):
    tie = _tie(graded)
    self_assessed = Assessment.objects.get(pk=tie.pk)
    self_assessed.pk, self_assessed.kind, self_assessed.scorer = None, Assessment.Kind.SELF, graded.student
    self_assessed.decision = Assessment.Decision.NONE
    self_assessed.submitted_at += datetime.timedelta(days=1)  # newer, but not a mentor's: never counts
    self_assessed.score = Decimal("1")
    self_assessed.save()
    by_condition = _latest(Assessment.objects.latest_mentor().filter(revision__work__cohort=graded.cohort))
    by_window = _latest(Assessment.objects.latest_mentor_ranked().filter(revision__work__cohort=graded.cohort))
    assert by_condition == by_window
    assert by_window[tie.revision.work_id] == (tie.pk, Decimal("55.25"))
    ada_week2 = Assessment.objects.filter(revision__work__student=graded.student, revision__work__week__number=2)
    assert by_window[ada_week2.first().revision.work_id][1] == Decimal("70")  # rescored later: 60 then 70
    assert len(by_window) == 4  # Ada W1, W2; Bea W1, W2; nobody else was scored


@pytest.mark.parametrize("sort", ["total", "average"])
def test_the_sort_by_a_total_orders_by_the_figures_the_page_shows(graded, sort):
    _tie(graded)
    students = User.objects.filter(pk__in=[graded.student.pk, graded.other_student.pk, graded.third.pk])
    order = dict(
        (pk, key)
        for key, pk in _score_order_in_sql(
            graded.cohort, GradebookQuery(sort=sort), students, gradebook_columns(graded.cohort)
        )
    )
    shown = {pk: figure for pk, figure in with_grade_totals(students, graded.cohort).values_list("pk", sort)}
    assert order == shown
    # Ada: 55.25 (the tie's winner) + 70; Bea: 90 + 40; Cy: nothing scored.
    expected = {"total": Decimal("125.25"), "average": Decimal("62.63")}[sort]
    assert order[graded.student.pk] == expected and order[graded.third.pk] is None
    assert order[graded.other_student.pk] == {"total": Decimal("130"), "average": Decimal("65")}[sort]
