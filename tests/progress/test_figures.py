"""Every figure of the grades and mastery reads against the hand-computed fixture in conftest."""

from decimal import Decimal

import pytest

from progress.selectors import MET, NOT_ASSESSED, NOT_DUE, NOT_YET, grades_for, mastery_for

from .conftest import at

pytestmark = pytest.mark.django_db


def test_grades_use_the_gradebooks_state_score_and_late_flag(people, scored):
    g = grades_for(people.cohort, people.student, now=at(20))
    w1, w2, w3 = g.lines[:3]
    assert (w1.column.label, w1.cell.status.key, w1.cell.score, w1.decision) == (
        "W1",
        "accepted",
        Decimal("72.50"),
        "Accept",
    )
    assert (w1.decided_at, w1.feedback_revision_id, w1.cell.is_late) == (at(11), scored.week1.pk, False)
    assert (w2.cell.status.key, w2.cell.score, w2.decision, w2.decided_at) == (
        "changes_requested",
        Decimal("50.00"),
        "Request changes",
        at(17),
    )
    assert (w1.running_average, w2.running_average) == (Decimal("72.50"), Decimal("61.25"))
    assert (w3.cell.status.key, w3.decision, w3.running_average) == ("not_started", "", None)
    assert (g.accepted, g.scored, g.average, g.late, g.total) == (1, 2, Decimal("61.25"), 0, 24 + 9)


def test_mastery_cells_by_week_and_bloom_level(people, scored):
    m = mastery_for(people.cohort, people.student, now=at(25))
    assert [lv.key for lv in m.levels] == ["analyze", "evaluate", "create"]
    week1 = dict(zip([lv.key for lv in m.levels], m.grid[0][1], strict=True))
    # Analyze ← criterion 1 at 4: met. Evaluate (quality gates ← 1, dossier ← 2): not yet.
    # Design ← trade-offs at 3: met.
    assert (week1["analyze"].state, week1["evaluate"].state, week1["create"].state) == (MET, NOT_YET, MET)
    assert (week1["evaluate"].total, week1["evaluate"].not_met) == (2, 2)
    assert [o.label for o in week1["evaluate"].objectives] == ["Not yet met", "Not yet met"]
    week2 = dict(zip([lv.key for lv in m.levels], m.grid[1][1], strict=True))
    assert week2["analyze"].state == NOT_ASSESSED  # due by 25 Sept, sent back: not judged
    week4 = dict(zip([lv.key for lv in m.levels], m.grid[3][1], strict=True))
    assert week4["analyze"].state == NOT_DUE
    summary = {s.level.key: (s.met, s.not_met, s.not_assessed, s.not_due, s.total) for s in m.summary}
    # Weeks 1-2 are due on 25 Sept. analyze: weeks 1-8 (8); evaluate: 2 a week in 1-16, 1 in 17-24 (32+8);
    # create: design/optimize/architect (1 a week in 1-8, 2 in 9-24).
    assert summary["analyze"] == (1, 0, 1, 6, 8)
    assert summary["evaluate"] == (0, 2, 2, 36, 40)
    assert summary["create"] == (1, 0, 1, 46, 48)


def test_trend_per_criterion_beside_the_cohort_median(people, scored):
    m = mastery_for(people.cohort, people.other_student, now=at(20))
    trends = {t.title: t for t in m.trends}
    # other student: week 1 all at 4 (100 %); the student 4, 3, 2, 1, 4 in week 1 and 2 in week 2
    assert trends["Architecture-level decision quality"].mine == {1: 100.0}
    assert trends["Trade-off and risk reasoning"].median == {1: 87.5, 2: 50.0}
    assert trends["Quality gates passed"].median == {1: 62.5, 2: 50.0}
    mine = {t.title: t for t in mastery_for(people.cohort, people.student, now=at(20)).trends}
    assert mine["Measurable success criteria and evidence"].mine == {1: 50.0, 2: 50.0}


def test_the_cohort_medians_follow_every_new_mentor_assessment(people, scored, rubric, django_assert_num_queries):
    """The medians are cached per cohort under the latest mentor assessment id: a new mentor
    review changes the figures at once, and a repeated read costs one query."""
    from cohorts.models import Membership
    from progress.selectors import cohort_criterion_medians
    from tests.factories import MembershipFactory
    from tests.rubrics.conftest import submit

    from .conftest import review

    weeks = {w.pk: w.number for w in people.cohort.course.weeks.all()}
    first = {m.title: m.median for m in cohort_criterion_medians(people.cohort, weeks)}
    assert first["Quality gates passed"] == {1: 62.5, 2: 50.0}
    with django_assert_num_queries(1):  # the version (the highest mentor assessment id); the rest from the cache
        assert {m.title: m.median for m in cohort_criterion_medians(people.cohort, weeks)} == first

    # A third student's week 1 sent back at 1 everywhere (25 %): quality gates in week 1 were
    # 25 and 100 (median 62.5), now 25, 25, 100 (median 25); trade-offs 75 and 100 (87.5), now
    # 25, 75, 100 (75). Week 2 is untouched.
    third = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
    review(submit(third, people.cohort, 1, now=at(10)), people.instructor, rubric, 1, "request_changes", at(13))
    with django_assert_num_queries(3):  # the version, the scores grouped in SQL, the criteria with their top level
        after = {m.title: m.median for m in cohort_criterion_medians(people.cohort, weeks)}
    assert after["Quality gates passed"] == {1: 25.0, 2: 50.0}
    assert after["Trade-off and risk reasoning"] == {1: 75.0, 2: 50.0}
