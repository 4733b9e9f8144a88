"""Report contents against known data (see conftest.known)."""

import csv
import io

import pytest

from reports.models import ReportRun
from reports.services import report_build, report_request


def build(kind, fmt, known, by=None, student=None) -> ReportRun:
    run = report_request(
        kind=kind, fmt=fmt, cohort=known.cohort, student=student, by=by or known.people.instructor, enqueue_build=False
    )
    return report_build(run=run)


def csv_rows(run: ReportRun) -> list[list[str]]:
    with run.file.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8"))))


def by_email(rows):
    header = rows[0]
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}


@pytest.mark.django_db
def test_cohort_report_csv_has_week_states_scores_and_totals(known):
    run = build(ReportRun.Kind.COHORT, ReportRun.Format.CSV, known)
    assert (run.status, run.progress, run.error) == (ReportRun.Status.SUCCEEDED, 100, "")
    rows = by_email(csv_rows(run))
    s = rows[known.people.student.email]
    assert [s[f"W{n}"] for n in range(1, 6)] == ["A 85", "C 40", "Missing", "Missing", "·"]
    assert s["Accepted weeks"] == "1"
    assert s["Past due, not submitted"] == "2"
    assert (s["Latest score"], s["Average score"]) == ("40", "62.5")
    required = sum(len(known.weeks[n].lab.evidence_list) for n in (1, 2, 3, 4))
    assert s["Evidence completeness"] == f"{round(100 / required)}%"
    assert (s["Open risks"], s["Retrospectives written"], s["Portfolio entries published"]) == ("2", "1", "0")
    # The cohort's at-risk rules (the defaults: docs/insights.md), applied by their one owner:
    # weeks 3 and 4 missing; weeks 2 (blank "improve"), 3 and 4 past due without a finished
    # retrospective; scores 85 → 40 are two scored weeks, short of the three a fall needs; the
    # open risks are of medium severity.
    assert s["At risk"] == "yes"
    assert s["Why"] == "Weeks behind: 2 missing: weeks 3, 4; Retrospectives missing: 3 not done: weeks 2, 3, 4"
    assert s["Mentors"] == known.people.mentor.display_name


@pytest.mark.django_db
def test_cohort_report_does_not_flag_a_student_on_track(known):
    rows = by_email(csv_rows(build(ReportRun.Kind.COHORT, ReportRun.Format.CSV, known)))
    o = rows[known.people.other_student.email]
    assert [o[f"W{n}"] for n in range(1, 5)] == ["A 90"] * 4
    assert (o["At risk"], o["Why"], o["Portfolio entries published"]) == ("no", "", "1")
    assert set(rows) == {known.people.student.email, known.people.other_student.email}


@pytest.mark.django_db
def test_a_mentors_cohort_report_lists_only_their_students(known):
    from tests.factories import MentorAssignmentFactory

    MentorAssignmentFactory(cohort=known.cohort, mentor=known.people.unassigned_mentor, student=known.people.student)
    run = build(ReportRun.Kind.COHORT, ReportRun.Format.CSV, known, by=known.people.unassigned_mentor)
    assert run.mentor_id == known.people.unassigned_mentor.pk
    assert set(by_email(csv_rows(run))) == {known.people.student.email}


@pytest.mark.django_db
def test_gradebook_export_shows_state_score_late_and_missing(known):
    rows = by_email(csv_rows(build(ReportRun.Kind.GRADEBOOK, ReportRun.Format.CSV, known)))
    s = rows[known.people.student.email]
    assert [s[f"W{n}"] for n in range(1, 6)] == [
        "accepted · 85",
        "changes requested · 40 · late",
        "missing",
        "missing",
        "not started",
    ]
    assert "P1.1" in s and s["P1.1"] == "not started"


@pytest.mark.django_db
def test_student_report_has_weeks_revisions_risks_and_retrospectives(known):
    run = build(ReportRun.Kind.STUDENT, ReportRun.Format.CSV, known, student=known.people.student)
    assert run.status == ReportRun.Status.SUCCEEDED
    rows = csv_rows(run)
    titles = [row[0] for row in rows if len(row) == 1]
    assert titles == [
        "Weeks",
        "Capstone deliverables",
        "Risk and defect log",
        "Retrospectives",
        "Outcome objectives by Bloom level",
        "Objectives judged at acceptance",
    ]
    week2 = next(row for row in rows if row[:1] == ["2"] and len(row) == 8)
    assert week2[3] == "changes requested · 40 · late"
    assert week2[4].count("(") == 2 and week2[4].endswith("late)")
    risks = [row for row in rows if len(row) == 7 and row[0] in ("Risk", "Defect")]
    assert [r[1] for r in risks] == ["Cache stampede on cold start", "Slow count query", "Unbounded retry storm"]
    retro_rows = rows[rows.index(["Retrospectives"]) : rows.index(["Outcome objectives by Bloom level"])]
    retros = [row for row in retro_rows if len(row) == 4 and row[0].isdigit()]
    assert [r[0] for r in retros] == ["1", "2"]


@pytest.mark.django_db
def test_html_report_is_self_contained_and_escapes_names(known):
    known.people.student.name = "<script>alert(1)</script>"
    known.people.student.save(update_fields=["name"])
    run = build(ReportRun.Kind.COHORT, ReportRun.Format.HTML, known)
    html = run.file.open("rb").read().decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html
    assert "At risk (the cohort&#x27;s rules) when any holds: at least 2 missing weeks" in html
    # A week past due with nothing submitted says "Missing", as the gradebook does, not "X".
    assert '<td class="missing">Missing</td>' in html
    assert "Missing (past due with nothing submitted, extensions applied)" in html
    assert "X missing" not in html and "<td>X</td>" not in html


@pytest.mark.django_db
def test_pdf_report_is_a_pdf_with_the_students(known):
    from pypdf import PdfReader

    run = build(ReportRun.Kind.COHORT, ReportRun.Format.PDF, known)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    data = run.file.open("rb").read()
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert known.people.other_student.email in text
    assert "Missing (past due with nothing submitted" in text and "X missing" not in text


@pytest.mark.django_db
def test_a_pdf_laid_out_in_parts_keeps_every_student_once(known, monkeypatch):
    from pypdf import PdfReader

    from reports import writers
    from tests.factories import MembershipFactory

    monkeypatch.setattr(writers, "PDF_ROWS_PER_PART", 2)
    extra = [MembershipFactory(cohort=known.cohort).user for _ in range(3)]  # five students: three parts
    run = build(ReportRun.Kind.COHORT, ReportRun.Format.PDF, known)
    assert run.status == ReportRun.Status.SUCCEEDED, run.error
    reader = PdfReader(run.file.open("rb"))
    text = "".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) == 3
    for user in [known.people.student, known.people.other_student, *extra]:
        assert text.count(user.email) == 1
    assert text.count("Cohort progress report:") == 1 and text.count("Email") == 3  # the header on every part


@pytest.mark.django_db
def test_pdf_sets_week_marks_and_figures_in_aligned_runs(known):
    from pypdf import PdfReader

    run = build(ReportRun.Kind.COHORT, ReportRun.Format.PDF, known)
    lines = "".join(page.extract_text() for page in PdfReader(run.file.open("rb")).pages).splitlines()
    weeks_header = lines.index("W1      W2      W3      W4      W5      W6      W7      W8")
    assert lines[weeks_header + 3].startswith("Acc   Miss  Last  Avg   Evid  Risks Retro Pub")
    student = lines.index(known.people.student.email)
    marks, figures = lines[student + 2], lines[student + 5]
    # Weeks 1–4 past due: accepted 85, changes requested 40, then nothing submitted; week 5 not yet due.
    assert marks == "A 85    C 40    Missing Missing ·       ·       ·       ·"
    assert marks.index("C 40") == lines[weeks_header].index("W2")  # under its week's label
    assert figures.startswith("1     2     40    62.5  6%    2     1     0")
    # The last cell stacks the improve items (done/carried/dropped/not set), the at-risk flag
    # and why: week 1's improve item, shown in week 2, has no status.
    assert figures.endswith(" 0/0/0/1") and lines[student + 6] == "yes"
    assert " ".join(lines[student + 7 : student + 9]).startswith("Weeks behind: 2 missing: weeks 3, 4;")


@pytest.mark.django_db
@pytest.mark.parametrize("kind", [ReportRun.Kind.COHORT, ReportRun.Kind.STUDENT])
def test_a_pdf_in_one_part_is_tagged_for_screen_readers(known, kind):
    from pypdf import PdfReader

    student = known.people.student if kind == ReportRun.Kind.STUDENT else None
    run = build(kind, ReportRun.Format.PDF, known, student=student)
    catalog = PdfReader(run.file.open("rb")).trailer["/Root"]
    assert "/StructTreeRoot" in catalog and bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "en"
