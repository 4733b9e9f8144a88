"""Curriculum coverage: outcome objectives per Bloom level per week, counted by hand."""

import pytest

from curriculum.models import Objective
from insights.selectors import curriculum_coverage
from tests.factories import ObjectiveFactory, WeekFactory, bloom_level

pytestmark = pytest.mark.django_db


def test_objectives_are_counted_per_week_and_level_leaving_out_the_routine_habits(course, django_assert_num_queries):
    first = WeekFactory(number=1)
    second = WeekFactory(course=first.course, number=2)
    for key in ("understand", "apply", "apply", "analyze"):
        ObjectiveFactory(week=first, bloom_level=bloom_level(key))
    ObjectiveFactory(week=first, kind=Objective.Kind.ROUTINE, bloom_level=bloom_level("remember"))
    for key in ("analyze", "evaluate", "create"):
        ObjectiveFactory(week=second, bloom_level=bloom_level(key))
    ObjectiveFactory(week=second, bloom_level=None, verb="Ponder")

    # 3: Bloom levels, weeks, their objectives.
    with django_assert_num_queries(3):
        coverage = curriculum_coverage(first.course)
    assert [level.key for level in coverage.levels] == [
        "remember",
        "understand",
        "apply",
        "analyze",
        "evaluate",
        "create",
    ]
    assert [(w.number, w.counts, w.unleveled, w.total) for w in coverage.weeks] == [
        (1, [0, 1, 2, 1, 0, 0], 0, 4),
        (2, [0, 0, 0, 1, 1, 1], 1, 4),
    ]
    assert coverage.totals == [0, 1, 2, 2, 1, 1] and coverage.unleveled == 1 and coverage.total == 8
    # The chart: the tallest bar (4) reaches the top; week 1's apply segment is half of it.
    first_bar = coverage.chart["bars"][0]
    assert [(s["name"], s["count"]) for s in first_bar["segments"]] == [("Understand", 1), ("Apply", 2), ("Analyze", 1)]
    assert first_bar["segments"][-1]["y"] == 16.0  # the top padding: the full height
    assert first_bar["segments"][1]["height"] == 112.0  # 2 of 4 × 224


def test_the_bundled_curriculum_has_four_outcomes_in_every_week(course):
    coverage = curriculum_coverage(course)
    assert len(coverage.weeks) == 24
    assert {week.total for week in coverage.weeks} == {4}
