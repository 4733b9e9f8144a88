"""The at-risk rules decided in SQL (PostgreSQL) give the answers of the same rules decided in
Python from their inputs (the reference, kept for SQLite), student by student and reason by
reason; and the viewer's at-risk map, kept in the cache, changes with everything the rules read:
a submission, a mentor's decision, the rules, a due date passing."""

import datetime

import pytest
from django.core.cache import cache

from cohorts.models import Cohort
from cohorts.schedule import week_window
from insights.models import AtRiskRules
from insights.selectors import _at_risk_in_python, _at_risk_in_sql, at_risk_followed
from insights.services import at_risk_rules_update

from .conftest import NOW, retrospective, score, submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql,  # the SQL rules are PostgreSQL's
]


def _as_text(found: dict) -> dict:
    return {
        cohort: {student: [str(r) for r in reasons] for student, reasons in m.items()} for cohort, m in found.items()
    }


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"weeks_behind": 1, "falling_score_weeks": 2, "max_revisions": 2, "missing_retrospectives": 1},
        {"weeks_behind": 0, "falling_score_weeks": 0, "max_revisions": 0, "missing_retrospectives": 0},
        {"weeks_behind": 5, "falling_score_weeks": 4, "max_revisions": 5, "overdue_high_risks": 3},
    ],
)
def test_the_sql_rules_equal_the_rules_decided_in_python(mixed, rules):
    cohorts = [mixed.cohort, mixed.other_cohort]
    tuned = {mixed.cohort.pk: AtRiskRules(cohort=mixed.cohort, **rules)}
    for moment in (NOW, NOW - datetime.timedelta(days=14), NOW + datetime.timedelta(days=7)):
        for student_ids in (None, [mixed.student.pk, mixed.other_student.pk]):
            in_sql = _at_risk_in_sql(cohorts, student_ids=student_ids, now=moment, rules=tuned)
            in_python = _at_risk_in_python(cohorts, student_ids=student_ids, now=moment, rules=tuned)
            assert _as_text(in_sql) == _as_text(in_python)
    found = _as_text(_at_risk_in_sql(cohorts, student_ids=None, now=NOW, rules=tuned))
    assert found[mixed.other_cohort.pk]  # somebody at risk in each cohort: the comparison saw them
    if not rules:
        assert len(found[mixed.cohort.pk]) == 7  # all but the steady and the extended student


# --- The viewer's map, cached -------------------------------------------------------------------


@pytest.fixture
def listed(running, client_for):
    cache.clear()
    return running


def _at_risk_names(client, cohort) -> set[str]:
    response = client.get(f"/api/v1/cohorts/{cohort.slug}/at-risk/")
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


def _fresh(cohort: Cohort) -> Cohort:
    return Cohort.objects.get(pk=cohort.pk)


def test_the_map_is_computed_once_per_version(listed, django_assert_num_queries):
    cohort = _fresh(listed.cohort)
    first = at_risk_followed(cohort, listed.instructor)
    assert set(first.found) == {listed.student.pk}
    # The role, the rules and the next due date: the rules themselves are not decided again.
    with django_assert_num_queries(3):
        again = at_risk_followed(cohort, listed.instructor)
    assert again.found.keys() == first.found.keys() and again.followed == 2


def test_a_submission_changes_the_list(listed, client_for):
    client = client_for(listed.instructor)
    student = listed.student.display_name
    assert student in _at_risk_names(client, listed.cohort)
    for number in range(1, 6):
        submit(listed.student, listed.cohort, number, at=listed.cohort.created_at)
        retrospective(listed.student, listed.cohort, number)
    assert student not in _at_risk_names(client, listed.cohort)


def test_a_mentor_decision_changes_the_list(listed, client_for, rubric):
    cohort = listed.cohort
    at_risk_rules_update(cohort=cohort, weeks_behind=0, missing_retrospectives=0, falling_score_weeks=2)
    client = client_for(listed.instructor)
    revisions = {n: listed.other_student.weekly_works.get(week__number=n).latest_revision for n in (4, 5)}
    score(revisions[4], listed.mentor, 4)
    assert _at_risk_names(client, cohort) == set()
    # A lower score on week 5, recorded by the service every mentor decision goes through
    # (the factory calls rubrics.services.assessment_record).
    score(revisions[5], listed.mentor, 1, decision="request_changes")
    assert _at_risk_names(client, cohort) == {listed.other_student.display_name}


def test_a_rule_change_changes_the_list(listed, client_for):
    client = client_for(listed.instructor)
    assert _at_risk_names(client, listed.cohort) == {listed.student.display_name}
    at_risk_rules_update(cohort=listed.cohort, weeks_behind=0, missing_retrospectives=0)
    assert _at_risk_names(client, listed.cohort) == set()


def test_a_due_date_passing_changes_the_map(listed):
    cohort = _fresh(listed.cohort)
    at_risk_rules_update(cohort=cohort, weeks_behind=6, missing_retrospectives=0)
    cohort = _fresh(cohort)
    before = week_window(cohort, 6).due_at - datetime.timedelta(minutes=1)
    after = week_window(cohort, 6).due_at + datetime.timedelta(minutes=1)
    assert at_risk_followed(cohort, listed.instructor, now=before).found == {}
    # Week 6 passes: the student who did nothing has six weeks missing now; the entry computed
    # before it is not read any more, whatever the version.
    assert set(at_risk_followed(cohort, listed.instructor, now=after).found) == {listed.student.pk}
    assert at_risk_followed(cohort, listed.instructor, now=before).found == {}


def test_a_mentor_never_reads_the_map_made_for_the_whole_cohort(listed):
    cohort = _fresh(listed.cohort)
    assert set(at_risk_followed(cohort, listed.instructor).found) == {listed.student.pk}
    assert at_risk_followed(cohort, listed.unassigned_mentor).found == {}
    assert at_risk_followed(cohort, listed.unassigned_mentor).followed == 0
