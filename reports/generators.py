"""What each report contains, as a format-neutral document: a title, notes and sections of
rows. Rows are produced lazily, one chunk of students at a time (reports.selectors), so the
writers (reports.writers) can stream them to a file without holding the whole report.

Week cells of the cohort report: the mark of the work's status (submissions.models.
WORK_STATUSES, the same statuses the gradebook page shows: a letter, or "Missing" spelled out
as the gradebook says it), followed by the latest mentor score when there is one, e.g.
"A 82.5". The gradebook export is the gradebook page's own computation
(rubrics.selectors.gradebook_rows), a chunk of students at a time.
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from cohorts.schedule import weeks_begun
from core.read_ahead import read_ahead
from insights.selectors import AtRiskReason, at_risk_rules_for, at_risk_students
from progress.selectors import mastery_as_data, mastery_for, objectives_met_by_student
from rubrics.selectors import GradeRow, format_score, grade_text, gradebook_columns, gradebook_rows, with_grade_totals
from submissions.models import WORK_STATUSES, WorkStatus, work_status, work_status_legend
from submissions.selectors import IMPROVE_TALLY_KEYS, improve_item_tally, improve_item_totals

from .selectors import CourseFrame, StudentFacts, WorkFacts, course_frame, student_chunk, student_dossier, student_ids

LEGEND = f"Week cells: {work_status_legend()}; then the latest mentor score (0–100)."

Progress = Callable[[float], None]
JUDGEMENT_LABELS = {"met": "met", "not_yet": "not yet met"}
T = TypeVar("T")


def chunk_size() -> int:
    return settings.REPORTS_CHUNK_SIZE


@dataclass(frozen=True)
class PdfCell:
    """Adjacent columns [start, end) that the PDF sets in one table cell. Laying out a table
    cell (its style, its line boxes) is what a large cohort's PDF spends its time on, so the
    cohort report's 38 columns become 4 cells per row (reports.writers.write_pdf).

    "stack": the values one per line (empty ones left out), `width_pt` wide (0: what is left).
    "run": the values padded to `mark_width` characters, `per_line` to a line, in a monospace
    font, so that they line up under the header's labels (`labels`, short forms of the
    columns' names, explained under the table by `key`)."""

    start: int
    end: int
    kind: str = "stack"
    width_pt: float = 0
    labels: tuple[str, ...] = ()
    mark_width: int = 0
    per_line: int = 0
    key: str = ""


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: Iterable[list[str]]
    wide: bool = False  # many columns: the HTML/PDF layout uses a small type size
    pdf_cells: list[PdfCell] | None = None  # how the PDF groups the columns (None: one cell each)


@dataclass
class ReportDocument:
    title: str
    subtitle: str
    make_notes: Callable[[], list[str]]  # the notes under the title: see `notes`
    sections: Iterator[Section]
    filename_stem: str
    landscape: bool = False
    sectioned: bool = False  # several sections (CSV: a title row before each)
    generated_at: datetime.datetime = field(default_factory=timezone.now)

    @cached_property
    def notes(self) -> list[str]:
        """Made when a writer first reads them (HTML and PDF, before the rows; a CSV has no
        notes): the cohort report's give whole-cohort totals that cost a pass over its students."""
        return self.make_notes()


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else ""


# --- Cohort progress report -----------------------------------------------------------------


@dataclass
class StudentSummary:
    cells: list[str]
    accepted: int
    missing: int
    latest_score: Decimal | None
    average_score: Decimal | None
    evidence: str


def summarise(frame: CourseFrame, facts: StudentFacts) -> StudentSummary:
    """One student's row: each week's mark and score, and the totals."""
    cells, scores = [], []
    accepted = missing = 0
    required_total = covered_total = 0
    for week in frame.weeks:
        work = facts.works.get(f"w{week.pk}")
        past_due = frame.now > facts.due_at(frame, week.pk)
        status = _status(work, past_due)
        mark = status.mark
        missing += status.key == "missing"
        if work and work.state == "accepted":
            accepted += 1
        if work and work.score is not None:
            scores.append(work.score)
        cells.append(f"{mark} {format_score(work.score)}".strip() if work else mark)
        required = frame.required.get(week.pk, [])
        if required and (past_due or work is not None):
            required_total += len(required)
            covered_total += sum(1 for item in required if work and item in work.covered)
    latest = scores[-1] if scores else None
    average = (sum(scores) / len(scores)).quantize(Decimal("0.1")) if scores else None
    return StudentSummary(
        cells=cells,
        accepted=accepted,
        missing=missing,
        latest_score=latest,
        average_score=average,
        evidence=_percent(covered_total, required_total),
    )


COHORT_FIGURES = {  # column → its short label in the PDF's run of figures
    "Accepted weeks": "Acc",
    "Past due, not submitted": "Miss",
    "Latest score": "Last",
    "Average score": "Avg",
    "Evidence completeness": "Evid",
    "Open risks": "Risks",
    "Retrospectives written": "Retro",
    "Portfolio entries published": "Pub",
    "Objectives met / judged": "Obj",
}
IMPROVE_COLUMN = "Improve items: done/carried/dropped/not set"
COHORT_SUMMARY_COLUMNS = [*COHORT_FIGURES, IMPROVE_COLUMN, "At risk", "Why"]
# The longest week cell: a letter and a score with two decimals, or "Missing" spelled out.
WEEK_MARK_WIDTH = max(len("A 82.25"), *(len(s.mark) for s in WORK_STATUSES.values()))


def _status(work: WorkFacts | None, past_due: bool) -> WorkStatus:
    return work_status(
        display_state=work.display_state if work else None, submitted=bool(work and work.submitted), past_due=past_due
    )


def _cell_text(work: WorkFacts | None, past_due: bool) -> str:
    """The gradebook's cell text (rubrics.selectors.grade_text) from a report's facts."""
    return grade_text(
        status=_status(work, past_due), score=work.score if work else None, is_late=bool(work and work.is_late)
    )


def _chunked_rows(
    ids: list[int],
    load: Callable[[list[int]], list[T]],
    make_row: Callable[[T], list[str]],
    progress: Progress,
) -> Iterator[list[str]]:
    """Rows for the students `ids`, loaded a chunk at a time by `load` (so memory does not
    grow with the cohort), the next chunks read while this one's rows are made (core.read_ahead)."""
    done = 0
    size = chunk_size()
    progress(0.0)
    for chunk in read_ahead((ids[start : start + size] for start in range(0, len(ids), size)), load):
        for item in chunk:
            yield make_row(item)
        done += len(chunk)
        progress(done / len(ids))
    if not ids:
        progress(1.0)


def _scope_note(cohort: Cohort, mentor: User | None, count: int) -> str:
    if mentor is not None:
        return f"{count} students mentored by {mentor.display_name} in {cohort.name}."
    return f"All {count} students of {cohort.name}."


def cohort_report(
    cohort: Cohort, *, mentor: User | None = None, progress: Progress, now: datetime.datetime | None = None
) -> ReportDocument:
    frame = course_frame(cohort, now or timezone.now())
    ids = student_ids(cohort, mentor_id=mentor.pk if mentor else None)
    rules = at_risk_rules_for(cohort)
    through_week = weeks_begun(cohort, frame.now, len(frame.weeks))

    def load(chunk: list[int]) -> list[tuple[StudentFacts, tuple[int, int], list[AtRiskReason], dict[str, int]]]:
        objectives = objectives_met_by_student(cohort, chunk)
        at_risk = at_risk_students(cohort, student_ids=chunk, now=frame.now, rules=rules)
        # Per chunk, like every other column: read for the whole cohort at once, the improve
        # items held every student's retrospectives (the build's peak grew with the cohort).
        improve = improve_item_tally(cohort, chunk, through_week=through_week)
        return [
            (
                facts,
                objectives.get(facts.student.pk, (0, 0)),
                at_risk.get(facts.student.pk, []),
                improve[facts.student.pk],
            )
            for facts in student_chunk(frame, chunk)
        ]

    def row(loaded: tuple[StudentFacts, tuple[int, int], list[AtRiskReason], dict[str, int]]) -> list[str]:
        facts, (met, judged), reasons, improve = loaded
        s = summarise(frame, facts)
        return [
            facts.student.display_name,
            facts.student.email,
            ", ".join(facts.mentors),
            *s.cells,
            str(s.accepted),
            str(s.missing),
            format_score(s.latest_score),
            format_score(s.average_score),
            s.evidence,
            str(facts.open_risks),
            str(facts.retrospectives_done),
            str(facts.portfolio_entries),
            f"{met}/{judged}",
            "/".join(str(improve[key]) for key in IMPROVE_TALLY_KEYS),
            "yes" if reasons else "no",
            "; ".join(str(reason) for reason in reasons),
        ]

    identity = ["Student", "Email", "Mentors"]
    columns = [*identity, *[f"W{w.number}" for w in frame.weeks], *COHORT_SUMMARY_COLUMNS]
    rows = _chunked_rows(ids, load, row, progress)
    weeks_end = len(identity) + len(frame.weeks)
    figures_end = weeks_end + len(COHORT_FIGURES)
    section = Section(
        title="Students",
        columns=columns,
        rows=rows,
        wide=True,
        pdf_cells=[
            PdfCell(0, len(identity), width_pt=150),
            PdfCell(len(identity), weeks_end, "run", mark_width=WEEK_MARK_WIDTH, per_line=8),
            PdfCell(
                weeks_end,
                figures_end,
                "run",
                labels=tuple(COHORT_FIGURES.values()),
                mark_width=5,
                per_line=len(COHORT_FIGURES),
                key="Figures: " + "; ".join(f"{short} {long.lower()}" for long, short in COHORT_FIGURES.items()) + ".",
            ),
            PdfCell(figures_end, len(columns)),
        ],
    )

    def notes() -> list[str]:
        # The whole cohort's counts, before the rows: a second pass over the students' improve
        # items, streamed (one student's rows held at a time), made only for a format that
        # shows notes.
        improve_total = improve_item_totals(cohort, ids, through_week=through_week)
        return [
            LEGEND,
            rules.describe(),
            "Evidence completeness: required lab evidence present / required, "
            "over the weeks that are past due or started.",
            "Objectives met / judged: the week's outcome objectives judged met when a mentor accepted the week, of "
            "those judged (docs/progress.md).",
            "Improve items: each item of a retrospective's “improve” list, counted in the week after it (and in each "
            "week it was carried into) by the status the student set there, over the weeks begun. "
            f"{'These students' if mentor is not None else 'The whole cohort'}: {improve_total['done']} done, "
            f"{improve_total['carried']} carried forward, {improve_total['dropped']} dropped, "
            f"{improve_total['unset']} not set yet.",
        ]

    return ReportDocument(
        title=f"Cohort progress report: {cohort.name}",
        subtitle=_scope_note(cohort, mentor, len(ids)),
        make_notes=notes,
        sections=iter([section]),
        filename_stem=f"cohort-progress-{cohort.slug}",
        landscape=True,
        generated_at=frame.now,
    )


# --- Gradebook export ----------------------------------------------------------------------------


def gradebook_report(
    cohort: Cohort,
    *,
    mentor: User | None = None,
    progress: Progress,
    now: datetime.datetime | None = None,
) -> ReportDocument:
    """The gradebook page as a file: the same computation (rubrics.selectors.gradebook_rows)
    and the same cell statuses, totals and averages, one chunk of students at a time. The
    page's "Export CSV" streams this document too (reports.views.gradebook_csv)."""
    now = now or timezone.now()
    ids = student_ids(cohort, mentor_id=mentor.pk if mentor else None)
    columns = gradebook_columns(cohort)

    def load(chunk: list[int]) -> list[GradeRow]:
        order = {pk: i for i, pk in enumerate(chunk)}
        students = with_grade_totals(User.objects.filter(pk__in=chunk), cohort).values_list(
            "pk", "name", "email", "total", "average"
        )
        return gradebook_rows(cohort, sorted(students, key=lambda s: order[s[0]]), columns, now)

    def row(grades: GradeRow) -> list[str]:
        return [
            grades.name,
            grades.email,
            *[cell.text for cell in grades.cells],
            format_score(grades.total),
            format_score(grades.average),
            str(grades.accepted),
        ]

    return ReportDocument(
        title=f"Gradebook: {cohort.name}",
        subtitle=_scope_note(cohort, mentor, len(ids)),
        make_notes=lambda: [
            "Each cell: the work's state, the latest mentor score (0–100) and “late” when the latest revision was "
            "late; “missing” when nothing was submitted by the due date (extensions applied).",
            "Capstone deliverables: P<project>.<deliverable>.",
        ],
        sections=iter(
            [
                Section(
                    title="Gradebook",
                    columns=["Student", "Email", *[c.label for c in columns], "Total", "Average", "Accepted"],
                    rows=_chunked_rows(ids, load, row, progress),
                    wide=True,
                )
            ]
        ),
        filename_stem=f"gradebook-{cohort.slug}",
        landscape=True,
        generated_at=now,
    )


# --- Student progress report (the dossier) -------------------------------------------------------


def _local(moment: datetime.datetime, zone) -> str:
    return timezone.localtime(moment, zone).strftime("%d %b %Y %H:%M")


def student_report(
    cohort: Cohort, student: User, *, progress: Progress, now: datetime.datetime | None = None
) -> ReportDocument:
    progress(0.0)
    frame = course_frame(cohort, now or timezone.now())
    dossier = student_dossier(frame, student.pk)
    facts = dossier.facts
    zone = ZoneInfo(student.time_zone or cohort.time_zone)
    summary = summarise(frame, facts)
    rules = at_risk_rules_for(cohort)
    reasons = at_risk_students(cohort, student_ids=[student.pk], now=frame.now, rules=rules).get(student.pk, [])
    progress(0.5)

    def revisions_text(work) -> str:
        if work is None:
            return ""
        return ", ".join(
            f"{number} ({_local(at, zone)}{', late' if late else ''})"
            for number, at, late in dossier.revisions.get(work.id, [])
        )

    def week_rows() -> Iterator[list[str]]:
        for week in frame.weeks:
            work = facts.works.get(f"w{week.pk}")
            retro = dossier.retrospectives.get(week.pk)
            required = frame.required.get(week.pk, [])
            covered = sum(1 for item in required if work and item in work.covered)
            past_due = frame.now > facts.due_at(frame, week.pk)
            yield [
                str(week.number),
                week.title,
                _local(facts.due_at(frame, week.pk), zone),
                _cell_text(work, past_due),
                revisions_text(work),
                format_score(work.score) if work else "",
                _percent(covered, len(required)) if work or past_due else "",
                "written" if retro and retro.is_done else "",
            ]

    def capstone_rows() -> Iterator[list[str]]:
        for label, d in frame.deliverables:
            work = facts.works.get(f"d{d.pk}")
            past_due = frame.now > facts.due_at(frame, d.due_week_id)
            yield [
                label,
                d.title,
                _local(facts.due_at(frame, d.due_week_id), zone),
                _cell_text(work, past_due),
                revisions_text(work),
                format_score(work.score) if work else "",
            ]

    def risk_rows() -> Iterator[list[str]]:
        for r in dossier.risks:
            yield [
                r.get_kind_display(),
                r.title,
                r.get_severity_display(),
                r.get_status_display(),
                str(r.week_opened.number),
                str(r.week_closed.number) if r.week_closed else "",
                r.resolution,
            ]

    def retro_rows() -> Iterator[list[str]]:
        for week in frame.weeks:
            retro = dossier.retrospectives.get(week.pk)
            if retro and (retro.retain or retro.improve or retro.scale):
                yield [str(week.number), retro.retain, retro.improve, retro.scale]

    def sections() -> Iterator[Section]:
        yield Section(
            "Weeks",
            ["Week", "Title", "Due", "State", "Revisions", "Latest score", "Evidence", "Retrospective"],
            week_rows(),
        )
        yield Section(
            "Capstone deliverables",
            ["Deliverable", "Title", "Due", "State", "Revisions", "Latest score"],
            capstone_rows(),
        )
        progress(0.75)
        yield Section(
            "Risk and defect log",
            ["Kind", "Title", "Severity", "Status", "Opened (week)", "Closed (week)", "Resolution"],
            risk_rows(),
        )
        yield Section("Retrospectives", ["Week", "Retain", "Improve", "Scale"], retro_rows())
        mastery = mastery_as_data(mastery_for(cohort, student, now=frame.now))
        yield Section(
            "Outcome objectives by Bloom level",
            ["Bloom level", "Met", "Not yet met", "Not assessed (due)", "Not due yet", "Objectives"],
            (
                [s["bloom_level"], str(s["met"]), str(s["not_met"]), str(s["not_assessed"]), str(s["not_due"])]
                + [str(s["total"])]
                for s in mastery["summary"]
            ),
        )
        yield Section(
            "Objectives judged at acceptance",
            ["Week", "Bloom level", "Objective", "Judgement"],
            (
                [str(cell["week"]), cell["bloom_level"], o["text"], JUDGEMENT_LABELS[o["state"]]]
                for cell in mastery["cells"]
                for o in cell["objectives"]
                if o["state"] in JUDGEMENT_LABELS
            ),
        )
        progress(1.0)

    notes = [
        f"Mentors: {', '.join(facts.mentors) or 'none assigned'}. Accepted weeks: {summary.accepted}; past due and "
        f"not submitted: {summary.missing}; latest score: {format_score(summary.latest_score) or '—'}; average score: "
        f"{format_score(summary.average_score) or '—'}; evidence completeness: {summary.evidence or '—'}; open risks: "
        f"{facts.open_risks}; retrospectives written: {facts.retrospectives_done}; portfolio entries published: "
        f"{facts.portfolio_entries}.",
        f"At risk: {'yes (' + '; '.join(str(reason) for reason in reasons) + ')' if reasons else 'no'}. "
        f"{rules.describe()}",
        f"Times are in {zone.key}.",
    ]
    return ReportDocument(
        title=f"Student progress report: {student.display_name}",
        subtitle=f"{student.email} · {cohort.name}",
        make_notes=lambda: notes,
        sections=sections(),
        filename_stem=f"student-progress-{cohort.slug}-{student.pk}",
        sectioned=True,
        generated_at=frame.now,
    )
