"""The at-risk rules' inputs stored per student (insights.models.AtRiskInputs): after each kind
of write through the services the stored rows equal a full recomputation of the cohort, the
map read from them gives the answers of the rules decided from the records, thresholds and
due dates apply on reading with nothing written, and reading costs the same at any size."""

import datetime

import pytest
from django.core.management import CommandError, call_command

from cohorts.models import Cohort, Membership
from cohorts.schedule import week_window
from cohorts.services import membership_ensure, membership_remove
from insights.models import AtRiskInputs
from insights.selectors import at_risk_followed, at_risk_from_inputs, at_risk_in_cohorts, at_risk_rules_for
from insights.services import _refresh_in_python, at_risk_inputs_rebuild, at_risk_inputs_refresh, at_risk_rules_update
from submissions.models import RiskEntry
from submissions.services import (
    retrospective_save,
    risk_entry_close,
    risk_entry_create,
    risk_entry_reopen,
    work_accept,
    work_request_changes,
)
from tests.factories import AtRiskInputsFactory

from .conftest import NOW, new_student, score, steady_student, submit
from .test_pages import _add_students

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgresql,  # compares the PostgreSQL refresh with the others
]

FIELDS = ("submitted_weeks", "scores", "revisions", "retrospective_weeks", "open_high_risks")


def stored(cohort) -> dict[int, tuple]:
    return {
        row[0]: row[1:]
        for row in AtRiskInputs.objects.filter(cohort=cohort).order_by("student_id").values_list("student_id", *FIELDS)
    }


def as_recomputed(cohort) -> dict[int, tuple]:
    """The rows the write path left, after checking that they equal the whole cohort's
    recomputation, in SQL and in Python (the refresh used elsewhere than PostgreSQL)."""
    kept = stored(cohort)
    at_risk_inputs_rebuild(cohort=cohort)
    assert stored(cohort) == kept
    AtRiskInputs.objects.filter(cohort=cohort).delete()
    _refresh_in_python(Cohort.objects.get(pk=cohort.pk), None)
    assert stored(cohort) == kept
    return kept


def row_of(cohort, student) -> dict:
    return dict(zip(FIELDS, as_recomputed(cohort)[student.pk], strict=True))


def text_of(found: dict) -> dict:
    return {student: [str(r) for r in reasons] for student, reasons in found.items()}


def test_a_new_student_has_an_empty_row(people):
    membership_ensure(cohort=people.cohort, user=people.stranger, role=Membership.Role.STUDENT)
    assert row_of(people.cohort, people.stranger) == {name: [] for name in FIELDS}


def test_a_submission_and_a_resubmission_are_stored(people):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "Reviser")
    revision = submit(student, cohort, 2)
    assert row_of(cohort, student)["submitted_weeks"] == [2]
    work = revision.work
    work_request_changes(work=work, revision=revision, by=people.mentor)
    assert row_of(cohort, student)["revisions"] == []
    submit(student, cohort, 2, at=revision.submitted_at + datetime.timedelta(hours=2))
    submit(student, cohort, 1)
    assert row_of(cohort, student) | {"scores": None} == {
        "submitted_weeks": [1, 2],
        "scores": None,
        "revisions": [[2, 2]],
        "retrospective_weeks": [],
        "open_high_risks": [],
    }


def test_a_mentor_decision_stores_the_latest_score_of_the_week(people, rubric):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "Scored")
    first = submit(student, cohort, 3)
    low = score(first, people.mentor, 2, decision="request_changes")
    assert row_of(cohort, student)["scores"] == [[3, str(low.score)]]
    second = submit(student, cohort, 3, at=first.submitted_at + datetime.timedelta(days=1))
    high = score(second, people.mentor, 4, decision="accept")
    assert high.score > low.score
    assert row_of(cohort, student)["scores"] == [[3, str(high.score)]]


def test_accepting_and_requesting_changes_keep_the_row_true(people):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "Decided")
    accepted, sent_back = submit(student, cohort, 1), submit(student, cohort, 2)
    work_accept(work=accepted.work, revision=accepted, by=people.mentor)
    work_request_changes(work=sent_back.work, revision=sent_back, by=people.mentor)
    assert row_of(cohort, student)["submitted_weeks"] == [1, 2]


def test_retrospectives_are_stored_when_finished(people):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "Reflective")
    weeks = {w.number: w for w in cohort.course.weeks.filter(number__in=(1, 2))}
    retrospective_save(student=student, cohort=cohort, week=weeks[1], retain="a", improve="b", scale="c")
    retrospective_save(student=student, cohort=cohort, week=weeks[2], retain="a", improve="b", scale=" ")
    assert row_of(cohort, student)["retrospective_weeks"] == [1]
    retrospective_save(student=student, cohort=cohort, week=weeks[2], retain="a", improve="b", scale="c")
    assert row_of(cohort, student)["retrospective_weeks"] == [1, 2]
    retrospective_save(student=student, cohort=cohort, week=weeks[1], retain="", improve="b", scale="c")
    assert row_of(cohort, student)["retrospective_weeks"] == [2]


def test_high_risks_opened_closed_and_reopened_are_stored(people):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "Risky")
    weeks = {w.number: w for w in cohort.course.weeks.filter(number__in=(2, 3, 4))}

    def log(number: int, severity: str) -> RiskEntry:
        return risk_entry_create(
            student=student, cohort=cohort, week=weeks[number], kind="risk", title=f"Risk {number}", severity=severity
        )

    high = log(2, RiskEntry.Severity.HIGH)
    log(2, RiskEntry.Severity.CRITICAL)
    log(3, RiskEntry.Severity.MEDIUM)  # not high: the rule does not read it
    assert row_of(cohort, student)["open_high_risks"] == [[2, 2]]
    risk_entry_close(entry=high, week=weeks[4])
    assert row_of(cohort, student)["open_high_risks"] == [[2, 1]]
    risk_entry_reopen(entry=high)
    assert row_of(cohort, student)["open_high_risks"] == [[2, 2]]


def test_a_student_removed_loses_the_row_and_gets_it_back_when_added_again(people):
    cohort = people.cohort
    student = steady_student(cohort, people.mentor, "Leaver", weeks=(1, 2), retrospectives=(1,))
    kept = row_of(cohort, student)
    assert kept["submitted_weeks"] == [1, 2]
    membership_remove(membership=Membership.objects.get(cohort=cohort, user=student))
    assert student.pk not in as_recomputed(cohort)
    membership_ensure(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    assert row_of(cohort, student) == kept
    # Someone who comes back as a mentor has no student row.
    membership_remove(membership=Membership.objects.get(cohort=cohort, user=student))
    membership_ensure(cohort=cohort, user=student, role=Membership.Role.MENTOR)
    assert student.pk not in as_recomputed(cohort)


def test_a_rule_change_applies_on_reading_with_no_row_written(people):
    cohort = people.cohort
    behind = steady_student(cohort, people.mentor, "Behind", weeks=(1, 2, 3))
    before = AtRiskInputs.objects.get(cohort=cohort, student=behind).refreshed_at
    assert behind.pk in at_risk_followed(cohort, people.instructor, now=NOW).found
    at_risk_rules_update(cohort=cohort, weeks_behind=3)
    cohort = Cohort.objects.get(pk=cohort.pk)
    assert behind.pk not in at_risk_followed(cohort, people.instructor, now=NOW).found
    assert AtRiskInputs.objects.get(cohort=cohort, student=behind).refreshed_at == before


def test_a_due_date_passing_applies_on_reading_with_no_row_written(people):
    cohort = people.cohort
    at_risk_rules_update(cohort=cohort, weeks_behind=1, missing_retrospectives=0)
    cohort = Cohort.objects.get(pk=cohort.pk)
    steady = steady_student(cohort, people.mentor, "Steady")  # weeks 1 to 5 submitted
    rows = stored(cohort)
    due = week_window(cohort, 6).due_at
    minute = datetime.timedelta(minutes=1)
    assert steady.pk not in at_risk_followed(cohort, people.instructor, now=due - minute).found
    assert [str(r) for r in at_risk_followed(cohort, people.instructor, now=due + minute).found[steady.pk]] == [
        "Weeks behind: 1 missing: week 6"
    ]
    assert stored(cohort) == rows


@pytest.mark.parametrize(
    "rules",
    [
        {},
        {"weeks_behind": 1, "falling_score_weeks": 2, "max_revisions": 2, "missing_retrospectives": 1},
        {"weeks_behind": 0, "falling_score_weeks": 0, "max_revisions": 0, "missing_retrospectives": 0},
        {"weeks_behind": 5, "falling_score_weeks": 4, "max_revisions": 4, "overdue_high_risks": 3},
    ],
)
@pytest.mark.parametrize("day", [datetime.date(2026, 9, 30), datetime.date(2026, 10, 14), datetime.date(2026, 11, 30)])
def test_the_map_from_the_stored_inputs_equals_the_rules_decided_from_the_records(mixed, rules, day):
    now = datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    found_anyone = False
    for cohort in (mixed.cohort, mixed.other_cohort):
        at_risk_rules_update(cohort=cohort, **rules)
        cohort = Cohort.objects.get(pk=cohort.pk)
        as_recomputed(cohort)
        students = Membership.objects.filter(cohort=cohort).students().values("user_id")
        expected = at_risk_in_cohorts([cohort], now=now)[cohort.pk]
        found, read = at_risk_from_inputs(cohort, student_ids=students, now=now, rules=at_risk_rules_for(cohort))
        assert text_of(found) == text_of(expected)
        assert read == students.count()
        found_anyone = found_anyone or bool(found)
    # By the end of November some rule holds for someone under every set (the idle students are
    # far behind, the risky one's high risks are past their weeks).
    assert found_anyone or day != datetime.date(2026, 11, 30)


def test_a_student_without_a_row_counts_as_having_nothing_recorded(people):
    cohort = people.cohort
    _add_students(cohort, people.mentor, 3)  # bulk rows: no service, no stored inputs
    students = Membership.objects.filter(cohort=cohort).students().values("user_id")
    found, read = at_risk_from_inputs(cohort, student_ids=students, now=NOW, rules=at_risk_rules_for(cohort))
    assert read == 5 and len(found) == 5  # everyone has weeks 1 to 5 missing
    assert text_of(found) == text_of(at_risk_in_cohorts([cohort], now=NOW)[cohort.pk])


@pytest.mark.parametrize("size", [5, 200])
def test_reading_the_map_costs_three_queries_whatever_the_size(people, django_assert_num_queries, size):
    cohort = people.cohort
    _add_students(cohort, people.mentor, size - 2)
    at_risk_inputs_rebuild(cohort=cohort)
    students = Membership.objects.filter(cohort=cohort).students().values("user_id")
    rules = at_risk_rules_for(cohort)
    # The course's weeks, the cohort's extensions, the students with their stored inputs.
    with django_assert_num_queries(3):
        found, read = at_risk_from_inputs(cohort, student_ids=students, now=NOW, rules=rules)
    assert read == size and len(found) == size


def test_a_change_refreshes_one_student_in_one_statement(people, django_assert_num_queries):
    cohort, student = people.cohort, new_student(people.cohort, people.mentor, "One")
    submit(student, cohort, 1)
    with django_assert_num_queries(1):
        at_risk_inputs_refresh(cohort_id=cohort.pk, student_ids=[student.pk])
    assert row_of(cohort, student)["submitted_weeks"] == [1]


def test_the_rebuild_command_restores_the_rows(people, capsys):
    cohort = people.cohort
    steady_student(cohort, people.mentor, "Steady")
    rows = stored(cohort)
    AtRiskInputs.objects.filter(cohort=cohort).delete()
    call_command("at_risk_inputs_rebuild", cohort.slug)
    assert stored(cohort) == rows and len(rows) == 3
    assert f"{cohort.slug}: the at-risk inputs of 3 students" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no-such-cohort"):
        call_command("at_risk_inputs_rebuild", "no-such-cohort")


def test_the_factory_stores_what_the_refresh_computes(people):
    inputs = AtRiskInputsFactory(cohort=people.cohort)
    assert inputs.submitted_weeks == [] and stored(people.cohort)[inputs.student_id] == ([], [], [], [], [])
