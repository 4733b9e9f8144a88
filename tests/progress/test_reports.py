"""The mastery figures in the cohort report and the student report (the dossier), against
the hand-computed fixture in conftest."""

import csv
import io

import pytest

from reports.models import ReportRun
from reports.services import report_build, report_request

pytestmark = pytest.mark.django_db


def rows_of(people, kind, student=None) -> list[list[str]]:
    run = report_request(
        kind=kind,
        fmt=ReportRun.Format.CSV,
        cohort=people.cohort,
        student=student,
        by=people.instructor,
        enqueue_build=False,
    )
    run = report_build(run=run)
    with run.file.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8"))))


def test_the_cohort_report_counts_objectives_met_of_those_judged(people, scored):
    rows = rows_of(people, ReportRun.Kind.COHORT)
    header = rows[0]
    by_email = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    # the student: week 1 judged, 2 of its 4 outcomes met; the other student: 4 of 4
    assert by_email[people.student.email]["Objectives met / judged"] == "2/4"
    assert by_email[people.other_student.email]["Objectives met / judged"] == "4/4"


def test_the_student_report_lists_levels_and_judged_objectives(people, scored):
    rows = rows_of(people, ReportRun.Kind.STUDENT, student=people.student)
    start = rows.index(["Outcome objectives by Bloom level"])
    judged_at = rows.index(["Objectives judged at acceptance"])
    levels = {row[0]: row[1:] for row in rows[start + 2 : judged_at] if row}
    assert levels["evaluate"][:2] == ["0", "2"] and levels["evaluate"][-1] == "40"
    assert levels["analyze"][:2] == ["1", "0"]
    judged = [row for row in rows[judged_at + 2 :] if row]
    assert [(r[0], r[1], r[3]) for r in judged] == [
        ("1", "analyze", "met"),
        ("1", "evaluate", "not yet met"),
        ("1", "evaluate", "not yet met"),
        ("1", "create", "met"),
    ]
