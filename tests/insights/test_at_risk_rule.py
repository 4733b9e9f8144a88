"""The at-risk rules, one student per rule, every figure worked out by hand from the fixed
instant NOW (the cohort's week 6; weeks 1 to 5 are due)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from cohorts.models import Membership, MentorAssignment
from insights.models import AtRiskRules
from insights.selectors import at_risk_rules_for, at_risk_students
from insights.services import at_risk_rules_update
from submissions.models import RiskEntry
from submissions.services import work_get_or_create, work_request_changes
from tests.factories import AtRiskRulesFactory, ExtensionFactory, RiskEntryFactory

from .conftest import NOW, new_student, retrospective, score, steady_student, submit

pytestmark = pytest.mark.django_db


def reasons_of(cohort, student, **kwargs) -> list[str]:
    return [str(r) for r in at_risk_students(cohort, now=NOW, **kwargs).get(student.pk, [])]


def test_a_student_up_to_date_is_not_at_risk(people):
    steady = steady_student(people.cohort, people.mentor, "Steady")
    assert reasons_of(people.cohort, steady) == []


def test_two_missing_weeks_make_a_student_at_risk_and_an_extension_moves_the_due_date(people):
    cohort = people.cohort
    behind = steady_student(cohort, people.mentor, "Behind", weeks=(1, 2, 3))
    extended = steady_student(cohort, people.mentor, "Extended", weeks=(1, 2, 3))
    # Week 5 of this student is due on 20 October instead of 11 October: only week 4 is missing.
    ExtensionFactory(
        cohort=cohort,
        student=extended,
        week=cohort.course.weeks.get(number=5),
        due_at=datetime.datetime(2026, 10, 20, 21, 59, tzinfo=datetime.UTC),
    )
    assert reasons_of(cohort, behind) == ["Weeks behind: 2 missing: weeks 4, 5"]
    assert reasons_of(cohort, extended) == []


def test_a_draft_past_its_due_date_counts_as_missing(people):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Drafter", weeks=(1, 2, 3))
    week = cohort.course.weeks.get(number=4)
    work_get_or_create(student=student, cohort=cohort, week=week)  # a draft, never submitted
    assert reasons_of(cohort, student) == ["Weeks behind: 2 missing: weeks 4, 5"]


def test_scores_falling_over_the_last_three_scored_weeks(people, rubric):
    cohort = people.cohort
    falling = steady_student(cohort, people.mentor, "Falling")
    recovering = steady_student(cohort, people.mentor, "Recovering")
    # Week 2 at 25 (1 of 4 points) comes before the window; weeks 3, 4, 5 score 100, 75, 50.
    for number, points in ((2, 1), (3, 4), (4, 3), (5, 2)):
        score(falling.weekly_works.get(week__number=number).latest_revision, people.mentor, points)
    # 100, 50, 75: the last week rose again.
    for number, points in ((3, 4), (4, 2), (5, 3)):
        score(recovering.weekly_works.get(week__number=number).latest_revision, people.mentor, points)
    assert reasons_of(cohort, falling) == ["Falling scores: 100 → 75 → 50 over the last 3 scored weeks (weeks 3, 4, 5)"]
    assert reasons_of(cohort, recovering) == []
    # Over the last two scored weeks (75 → 50), the tuned rule still sees the fall; it needs
    # four falling weeks when set to 4, and week 2 (25) is lower than week 3 (100).
    assert reasons_of(cohort, falling, rules=AtRiskRules(cohort=cohort, falling_score_weeks=2)) == [
        "Falling scores: 75 → 50 over the last 2 scored weeks (weeks 4, 5)"
    ]
    assert reasons_of(cohort, falling, rules=AtRiskRules(cohort=cohort, falling_score_weeks=4)) == []


def test_the_latest_mentor_score_of_a_week_is_the_one_that_counts(people, rubric):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Resubmitter")
    for number, points in ((3, 4), (4, 3)):
        score(student.weekly_works.get(week__number=number).latest_revision, people.mentor, points)
    week5 = student.weekly_works.get(week__number=5)
    score(week5.latest_revision, people.mentor, 2, decision="request_changes")
    assert reasons_of(cohort, student) == ["Falling scores: 100 → 75 → 50 over the last 3 scored weeks (weeks 3, 4, 5)"]
    # The resubmission scores 4 of 4 (100): no longer falling.
    second = submit(student, cohort, 5, at=NOW - datetime.timedelta(days=1))
    score(second, people.mentor, 4, at=NOW - datetime.timedelta(hours=2))
    assert reasons_of(cohort, student) == []


def test_more_than_three_revisions_of_one_week(people):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Reviser")
    work = student.weekly_works.get(week__number=2)
    for resubmission in range(3):  # revisions 2, 3 and 4
        work_request_changes(work=work, revision=work.latest_revision, by=people.mentor)
        submit(student, cohort, 2, at=datetime.datetime(2026, 9, 16, 10 + resubmission, tzinfo=datetime.UTC))
        work.refresh_from_db()
    assert work.revisions.count() == 4
    assert reasons_of(cohort, student) == ["Many revisions: more than 3 revisions: week 2 (4)"]
    assert reasons_of(cohort, student, rules=AtRiskRules(cohort=cohort, max_revisions=4)) == []


def test_missing_retrospectives_follow_the_one_retrospective_done_rule(people):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Unreflective", retrospectives=(1, 2, 3))
    retrospective(student, cohort, 4, scale="   ")  # only whitespace: not done
    assert reasons_of(cohort, student) == ["Retrospectives missing: 2 not done: weeks 4, 5"]
    assert reasons_of(cohort, student, rules=AtRiskRules(cohort=cohort, missing_retrospectives=3)) == []


def test_open_high_risks_count_once_their_week_has_passed(people):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Risky")
    weeks = {w.number: w for w in cohort.course.weeks.filter(number__in=(1, 2, 5, 6))}
    RiskEntryFactory(cohort=cohort, student=student, severity=RiskEntry.Severity.HIGH, week_opened=weeks[5])
    RiskEntryFactory(cohort=cohort, student=student, severity=RiskEntry.Severity.CRITICAL, week_opened=weeks[2])
    # Not counted: logged in the week still open, closed, or of medium severity.
    RiskEntryFactory(cohort=cohort, student=student, severity=RiskEntry.Severity.CRITICAL, week_opened=weeks[6])
    RiskEntryFactory(
        cohort=cohort,
        student=student,
        severity=RiskEntry.Severity.HIGH,
        week_opened=weeks[1],
        status=RiskEntry.Status.CLOSED,
        week_closed=weeks[2],
    )
    RiskEntryFactory(cohort=cohort, student=student, severity=RiskEntry.Severity.MEDIUM, week_opened=weeks[1])
    assert reasons_of(cohort, student) == ["High risks open: 2 open past their week (logged in weeks 2, 5)"]
    assert reasons_of(cohort, student, rules=AtRiskRules(cohort=cohort, overdue_high_risks=3)) == []


def test_a_student_meeting_several_rules_gets_every_reason_in_rule_order(people):
    cohort = people.cohort
    student = new_student(cohort, people.mentor, "Struggling")
    submit(student, cohort, 1)
    RiskEntryFactory(
        cohort=cohort, student=student, severity=RiskEntry.Severity.HIGH, week_opened=cohort.course.weeks.get(number=1)
    )
    assert reasons_of(cohort, student) == [
        "Weeks behind: 4 missing: weeks 2, 3, 4, 5",
        "Retrospectives missing: 5 not done: weeks 1, 2, 3, 4, 5",
        "High risks open: 1 open past their week (logged in week 1)",
    ]


def test_a_rule_set_to_zero_is_off_and_saved_rules_apply(people):
    cohort = people.cohort
    student = new_student(cohort, people.mentor, "Absent")
    assert at_risk_rules_for(cohort).pk is None  # the defaults, not saved by reading them
    assert AtRiskRules.objects.count() == 0
    at_risk_rules_update(cohort=cohort, weeks_behind=0, missing_retrospectives=0)
    assert at_risk_rules_for(cohort).weeks_behind == 0
    assert reasons_of(cohort, student) == []
    at_risk_rules_update(cohort=cohort, weeks_behind=5)
    assert reasons_of(cohort, student) == ["Weeks behind: 5 missing: weeks 1, 2, 3, 4, 5"]


def test_the_rules_refuse_a_fall_over_one_week_and_thresholds_above_the_course(people):
    with pytest.raises(ValidationError) as refused:
        at_risk_rules_update(cohort=people.cohort, falling_score_weeks=1, weeks_behind=25)
    assert set(refused.value.message_dict) == {"falling_score_weeks", "weeks_behind"}
    assert AtRiskRules.objects.count() == 0


def test_only_the_cohorts_own_students_are_considered(people):
    steady_student(people.other_cohort, people.foreign_mentor, "Elsewhere", weeks=(), retrospectives=())
    found = at_risk_students(people.cohort, now=NOW)
    # The fixture's two students have done nothing: both at risk; nobody of the other cohort.
    assert set(found) == {people.student.pk, people.other_student.pk}


def _bulk_students(cohort, mentor, count: int) -> None:
    users = User.objects.bulk_create(
        [User(email=f"risk{cohort.pk}-{i}@example.com", name=f"Risk {i:03d}", password="!") for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users])
    MentorAssignment.objects.bulk_create([MentorAssignment(cohort=cohort, mentor=mentor, student=u) for u in users])


@pytest.mark.parametrize("size", [5, 200])
def test_the_selector_runs_four_queries_whatever_the_cohort_size(people, size):
    cohort = people.cohort
    _bulk_students(cohort, people.mentor, size - 2)  # + the fixture's two students
    submit(people.student, cohort, 1)
    AtRiskRulesFactory(cohort=cohort)
    with CaptureQueriesContext(connection) as queries:
        found = at_risk_students(cohort, now=NOW)
    # 4 on PostgreSQL: rules, weeks, extensions, and the one aggregate that decides every rule
    # (students, works, revision counts, latest mentor scores, retrospectives and risks inside it).
    assert len(queries) == 4
    assert len(found) == size
    assert [str(r) for r in found[people.student.pk]][0] == "Weeks behind: 4 missing: weeks 2, 3, 4, 5"
