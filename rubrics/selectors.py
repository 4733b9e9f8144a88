"""Reads for the review queue, scoring and feedback pages, the gradebook, progress and
calibration. Each page's data comes from a fixed number of queries, whatever the cohort
size (see tests/rubrics/test_query_budgets.py)."""

import datetime
import itertools
import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cohorts import selectors as cohort_selectors
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, is_platform_admin
from curriculum.models import Objective, Week
from curriculum.selectors import course_capstones
from submissions.models import WORK_STATUSES, Revision, WeeklyWork, WorkStatus, work_status

from .models import (
    Assessment,
    CalibrationRun,
    Criterion,
    CriterionObjective,
    CriterionScore,
    Level,
    MasteryRule,
    PeerAssignment,
    Rubric,
    RubricAttachment,
)
from .policies import can_see_peer_identity, can_view_feedback

# --- Rubrics -------------------------------------------------------------------------------


def rubric_for_work(work: WeeklyWork) -> Rubric | None:
    """The rubric that applies to a work: one attached to its week or deliverable, else the
    course's default for weeks or for capstone deliverables (one query)."""
    course_id = work.cohort.course_id
    if work.week_id:
        target = Q(scope=RubricAttachment.Scope.WEEK, week_id=work.week_id) | Q(
            scope=RubricAttachment.Scope.COURSE_DEFAULT
        )
        order = [RubricAttachment.Scope.WEEK, RubricAttachment.Scope.COURSE_DEFAULT]
    else:
        target = (
            Q(scope=RubricAttachment.Scope.DELIVERABLE, deliverable_id=work.deliverable_id)
            | Q(scope=RubricAttachment.Scope.CAPSTONE_DEFAULT)
            | Q(scope=RubricAttachment.Scope.COURSE_DEFAULT)
        )
        order = [
            RubricAttachment.Scope.DELIVERABLE,
            RubricAttachment.Scope.CAPSTONE_DEFAULT,
            RubricAttachment.Scope.COURSE_DEFAULT,
        ]
    found = {
        a.scope: a.rubric for a in RubricAttachment.objects.filter(target, course_id=course_id).select_related("rubric")
    }
    return next((found[scope] for scope in order if scope in found), None)


def rubric_criteria(rubric: Rubric) -> list[Criterion]:
    """Criteria in order, each with its levels from the best down (two queries)."""
    return list(
        rubric.criteria.order_by("order").prefetch_related(
            Prefetch("levels", queryset=Level.objects.order_by("-points", "order"))
        )
    )


def mastery_rule_for(cohort: Cohort) -> MasteryRule:
    """The cohort's rule for judging objectives, or the default one (unsaved) when an
    instructor has not set it (one query)."""
    return MasteryRule.objects.filter(cohort=cohort).first() or MasteryRule(cohort=cohort)


def objective_links_for_work(work: WeeklyWork, rubric: Rubric) -> list[tuple[Objective, list[Criterion]]]:
    """The outcome objectives of the work's week, in order, each with the criteria of this
    rubric version linked to it (two queries; none for a capstone deliverable, which has no
    objectives)."""
    if not work.week_id:
        return []
    objectives = list(
        Objective.objects.filter(week_id=work.week_id, kind=Objective.Kind.OUTCOME)
        .select_related("bloom_level")
        .order_by("order")
    )
    linked: dict[int, list[Criterion]] = defaultdict(list)
    for link in (
        CriterionObjective.objects.filter(criterion__rubric=rubric, objective__in=objectives)
        .select_related("criterion")
        .order_by("criterion__order")
    ):
        linked[link.objective_id].append(link.criterion)
    return [(objective, linked[objective.pk]) for objective in objectives]


@dataclass
class ObjectiveCheck:
    """One outcome objective on the scoring page: its linked criteria and what the cohort's
    rule derives from the levels chosen so far (None until every linked criterion has one,
    and always None when no criterion is linked)."""

    objective: Objective
    criteria: list[Criterion]
    derived: bool | None


def derive_objective_judgements(
    rule: MasteryRule, links: list[tuple[Objective, list[Criterion]]], points_of: dict[int, int]
) -> list[ObjectiveCheck]:
    """The one derivation of "met" from levels, for the scoring page's preview and for
    rubrics.services.assessment_record. `points_of`: criterion id → the chosen level's points."""
    checks = []
    for objective, criteria in links:
        chosen = [points_of[c.pk] for c in criteria if c.pk in points_of]
        derived = rule.judge(chosen) if len(chosen) == len(criteria) else None
        checks.append(ObjectiveCheck(objective=objective, criteria=criteria, derived=derived))
    return checks


def _assessments_with_scores() -> QuerySet[Assessment]:
    return Assessment.objects.select_related("scorer", "rubric", "peer_assignment").prefetch_related(
        Prefetch(
            "scores", queryset=CriterionScore.objects.select_related("criterion", "level").order_by("criterion__order")
        )
    )


def assessment_with_scores(pk: int) -> Assessment:
    """One assessment with its scorer, rubric and per-criterion scores (two queries)."""
    return _assessments_with_scores().get(pk=pk)


# --- Review queue ----------------------------------------------------------------------------


@dataclass
class QueueItem:
    work: WeeklyWork
    revision: Revision
    waited: datetime.timedelta
    deadline_at: datetime.datetime
    overdue: bool

    @property
    def waited_label(self) -> str:
        hours = int(self.waited.total_seconds() // 3600)
        if hours < 48:
            return f"{hours} h"
        return f"{hours // 24} d {hours % 24} h"


def review_queue_works(user: User, *, cohort_slug: str | None = None) -> QuerySet[WeeklyWork]:
    """The works whose latest revision awaits the user's review, oldest submission first, with
    what the queue shows (one query, reading only the rows of the user's cohorts and mentees:
    WeeklyWork.objects.reviewable_by)."""
    works = WeeklyWork.objects.reviewable_by(user).filter(
        state__in=WeeklyWork.AWAITING_REVIEW_STATES, latest_revision__isnull=False
    )
    if cohort_slug is not None:
        works = works.filter(cohort__slug=cohort_slug)
    return (
        works.select_related("student", "cohort", "week", "deliverable", "latest_revision")
        .defer("content", "latest_revision__content")
        .order_by("latest_revision__submitted_at", "pk")
    )


def review_queue(
    user: User,
    now: datetime.datetime | None = None,
    *,
    cohort_slug: str | None = None,
    overdue: bool | None = None,
) -> list[QueueItem]:
    """Latest revisions awaiting review, oldest first (one query); optionally of one cohort,
    or only those past (or within) the cohort's review deadline. Filters narrow what the user
    may see, never widen it."""
    now = now or timezone.now()
    items = []
    for work in review_queue_works(user, cohort_slug=cohort_slug):
        revision = work.latest_revision
        deadline = revision.submitted_at + datetime.timedelta(hours=work.cohort.review_deadline_hours)
        items.append(
            QueueItem(
                work=work,
                revision=revision,
                waited=now - revision.submitted_at,
                deadline_at=deadline,
                overdue=now > deadline,
            )
        )
    if overdue is not None:
        # The deadline depends on each cohort's setting, so this one is decided per item.
        items = [item for item in items if item.overdue == overdue]
    return items


def calibration_runs_waiting(user: User) -> list[CalibrationRun]:
    """Calibration runs the user is asked to score and has not scored yet (one query)."""
    scored = Assessment.objects.filter(calibration_run=OuterRef("pk"), scorer=user)
    return list(
        CalibrationRun.objects.filter(mentors=user)
        .exclude(Exists(scored))
        .select_related("cohort")
        .order_by("-created_at")
    )


# --- Scoring and feedback ---------------------------------------------------------------------


@dataclass
class Feedback:
    mentor: list[Assessment] = field(default_factory=list)
    peer: list[tuple[str, Assessment]] = field(default_factory=list)  # (shown name, assessment)
    self_assessment: Assessment | None = None


def feedback_for_revisions(revisions: list[Revision], viewer: User) -> dict[int, Feedback]:
    """Mentor, peer and self feedback per revision, peers named only when the viewer may
    know them (two queries, whatever the number of revisions and criteria)."""
    allowed: dict[tuple[int, bool], bool] = {}

    def sees_identity(assignment: PeerAssignment, work: WeeklyWork) -> bool:
        # One policy check per work and anonymity, not one per peer review.
        key = (work.pk, assignment.anonymous)
        if key not in allowed:
            allowed[key] = can_see_peer_identity(viewer, assignment, work)
        return allowed[key]

    result: dict[int, Feedback] = {r.pk: Feedback() for r in revisions}
    works = {r.pk: r.work for r in revisions}
    assessments = _assessments_with_scores().filter(
        revision__in=[r.pk for r in revisions],
        kind__in=[Assessment.Kind.MENTOR, Assessment.Kind.PEER, Assessment.Kind.SELF],
    )
    peer_numbers: dict[int, int] = defaultdict(int)
    for a in assessments.order_by("submitted_at", "pk"):
        bucket = result[a.revision_id]
        if a.kind == Assessment.Kind.MENTOR:
            bucket.mentor.append(a)
        elif a.kind == Assessment.Kind.SELF:
            bucket.self_assessment = a
        else:
            peer_numbers[a.revision_id] += 1
            assignment = getattr(a, "peer_assignment", None)
            if assignment is not None and sees_identity(assignment, works[a.revision_id]):
                name = a.scorer.display_name
            else:
                name = f"Peer reviewer {peer_numbers[a.revision_id]}"
            bucket.peer.append((name, a))
    return result


def assessments_shown_to(viewer: User, revision: Revision, assignment: PeerAssignment | None) -> list[Assessment]:
    """The assessments of a revision the viewer may see, oldest first, each with the
    `shown_reviewer` name the feedback page shows (peers named only when the viewer may know
    them). An assigned peer reviewer who may not read the feedback sees only their own review,
    as on the peer review page."""
    if not can_view_feedback(viewer, revision.work):
        mine = []
        if assignment is not None and assignment.assessment_id:
            mine = [assessment_with_scores(assignment.assessment_id)]
        for assessment in mine:
            assessment.shown_reviewer = viewer.display_name
        return mine
    feedback = feedback_for_revisions([revision], viewer)[revision.pk]
    shown = []
    for assessment in feedback.mentor:
        assessment.shown_reviewer = assessment.scorer.display_name
        shown.append(assessment)
    for name, assessment in feedback.peer:
        assessment.shown_reviewer = name
        shown.append(assessment)
    if feedback.self_assessment is not None:
        feedback.self_assessment.shown_reviewer = feedback.self_assessment.scorer.display_name
        shown.append(feedback.self_assessment)
    shown.sort(key=lambda a: (a.submitted_at, a.pk))
    return shown


def previous_revision(revision: Revision) -> Revision | None:
    return Revision.objects.filter(work_id=revision.work_id, number=revision.number - 1).first()


def revision_artifact_list(revision: Revision) -> list:
    return list(revision.artifacts.order_by("created_at", "pk"))


def peer_tasks(user: User) -> list[PeerAssignment]:
    """The user's peer reviews, open ones first (one query)."""
    return list(
        PeerAssignment.objects.filter(reviewer=user)
        .select_related("revision__work__week", "revision__work__deliverable", "revision__work__cohort")
        .defer("revision__content", "revision__work__content")
        # Open assignments (no assessment yet) first.
        .order_by(F("assessment").asc(nulls_first=True), "due_at", "pk")
    )


# --- Gradebook -------------------------------------------------------------------------------


def format_score(score: Decimal | None) -> str:
    """A weighted score (0–100) as exports write it: "85", "82.5", "" for none."""
    if score is None:
        return ""
    return f"{score:.2f}".rstrip("0").rstrip(".")


def grade_text(*, status: WorkStatus, score: Decimal | None, is_late: bool) -> str:
    """One gradebook cell as text (exports, the student report): the state, the latest mentor
    score and "late", e.g. "changes requested · 40 · late"."""
    parts = [status.label.lower()]
    if score is not None:
        parts.append(format_score(score))
    if is_late:
        parts.append("late")
    return " · ".join(parts)


@dataclass
class GradeCell:
    work: WeeklyWork | None
    state: str  # the work's display state, or "not_started"
    score: Decimal | None
    is_late: bool
    status: WorkStatus  # what the cell says (submissions.models.work_status)

    @property
    def missing(self) -> bool:
        """Nothing submitted and the due date (extensions applied) has passed."""
        return self.status.key == "missing"

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def tone(self) -> str:
        return self.status.tone

    @property
    def text(self) -> str:
        return grade_text(status=self.status, score=self.score, is_late=self.is_late)


@dataclass
class GradeColumn:
    key: str
    label: str
    title: str
    due_week: Week


@dataclass
class GradeRow:
    student: User
    cells: list[GradeCell]

    @property
    def accepted(self) -> int:
        return sum(1 for c in self.cells if c.state in ("accepted", "published"))


@dataclass
class Gradebook:
    cohort: Cohort
    columns: list[GradeColumn]
    rows: list[GradeRow]
    statuses: list[WorkStatus] = field(default_factory=lambda: list(WORK_STATUSES.values()))


def gradebook_students(cohort: Cohort, user: User) -> list[User]:
    """Instructors and admins see every student of the cohort; mentors their assigned ones."""
    students = User.objects.filter(pk__in=Membership.objects.filter(cohort=cohort).students().values("user_id"))
    if not can_manage_cohort(user, cohort):
        students = students.filter(mentors__cohort=cohort, mentors__mentor=user)
    return list(students.order_by("name", "email").distinct())


def gradebook_columns(cohort: Cohort) -> list[GradeColumn]:
    """The weeks, then the capstone deliverables (three queries: weeks, projects, deliverables)."""
    columns = [
        GradeColumn(key=f"w{w.number}", label=f"W{w.number}", title=w.title, due_week=w)
        for w in Week.objects.for_course(cohort.course)
    ]
    for project in course_capstones(cohort.course):
        for d in project.deliverables.all():
            columns.append(
                GradeColumn(key=f"d{d.pk}", label=f"P{project.number}.{d.order}", title=d.title, due_week=d.due_week)
            )
    return columns


def latest_mentor_scores(cohort: Cohort | list[Cohort], student_ids: list[int]) -> dict[int, Decimal]:
    """Work id → the weighted score of its latest mentor assessment, for these students of
    the cohort (or of these cohorts: the at-risk rules of a reminder sweep) in one query; the
    gradebook, the cohort report and the at-risk rules read this score."""
    cohort_ids = [c.pk for c in cohort] if isinstance(cohort, list) else [cohort.pk]
    scores: dict[int, Decimal] = {}
    for work_id, score in (
        Assessment.objects.filter(
            kind=Assessment.Kind.MENTOR,
            revision__work__cohort_id__in=cohort_ids,
            revision__work__student_id__in=student_ids,
        )
        .order_by("submitted_at", "pk")
        .values_list("revision__work_id", "score")
    ):
        scores[work_id] = score  # ordered by time: the last one wins
    return scores


def gradebook_rows(
    cohort: Cohort, students: list[User], columns: list[GradeColumn], now: datetime.datetime
) -> list[GradeRow]:
    """The one computation of the gradebook, for the page and for the exports (a chunk of
    students at a time): each cell the state, the latest mentor score and the late flag.
    Three queries whatever the number of students: extensions, works with their latest
    revision, mentor scores."""
    ids = [s.pk for s in students]
    week_number_of = {c.due_week.pk: c.due_week.number for c in columns if c.key.startswith("w")}
    due_dates = cohort_selectors.due_dates(cohort=cohort, student_ids=ids)
    works: dict[tuple[int, str], WeeklyWork] = {}
    for work in (
        WeeklyWork.objects.filter(cohort=cohort, student_id__in=ids)
        .select_related("latest_revision")
        .only(
            "id",
            "student_id",
            "week_id",
            "deliverable_id",
            "state",
            "published_at",
            "latest_revision__id",
            "latest_revision__number",
            "latest_revision__is_late",
            "latest_revision__submitted_at",
        )
    ):
        key = f"w{week_number_of[work.week_id]}" if work.week_id else f"d{work.deliverable_id}"
        works[(work.student_id, key)] = work
    scores = latest_mentor_scores(cohort, ids)
    rows = []
    for student in students:
        cells = []
        for column in columns:
            work = works.get((student.pk, column.key))
            revision = work.latest_revision if work else None
            due = due_dates.due_at(cohort, column.due_week.number, student.pk)
            state = work.display_state if work else None
            cells.append(
                GradeCell(
                    work=work,
                    state=state or "not_started",
                    score=scores.get(work.pk) if work else None,
                    is_late=bool(revision and revision.is_late),
                    status=work_status(display_state=state, submitted=revision is not None, past_due=now > due),
                )
            )
        rows.append(GradeRow(student=student, cells=cells))
    return rows


def gradebook_for(cohort: Cohort, user: User, now: datetime.datetime | None = None) -> Gradebook:
    """Students × weeks and capstone deliverables, for the gradebook page. Seven queries:
    students, the columns (three), and gradebook_rows' three."""
    students = gradebook_students(cohort, user)
    columns = gradebook_columns(cohort)
    rows = gradebook_rows(cohort, students, columns, now or timezone.now())
    return Gradebook(cohort=cohort, columns=columns, rows=rows)


# --- Student progress --------------------------------------------------------------------------


@dataclass
class ProgressSeries:
    title: str
    css: str
    points: list[tuple[int, float | None]]  # (week number, percent of the criterion's top level)
    path: str = ""
    dots: list[dict] = field(default_factory=list)


@dataclass
class Progress:
    cohort: Cohort
    student: User
    weeks: list[Week]
    series: list[ProgressSeries]
    accepted_weeks: list[int]
    revisions_per_week: dict[int, int]
    scores_by_week: dict[int, Decimal]
    chart: dict
    table: list[dict] = field(default_factory=list)

    @property
    def total_revisions(self) -> int:
        return sum(self.revisions_per_week.values())


def student_progress(cohort: Cohort, student: User) -> Progress:
    """Rubric score per criterion across the weeks (the latest mentor assessment of each
    week), accepted weeks and revisions per week. Five queries."""
    weeks = list(Week.objects.for_course(cohort.course))
    number_of = {w.pk: w.number for w in weeks}
    works = list(
        WeeklyWork.objects.filter(cohort=cohort, student=student, week__isnull=False)
        .annotate(revision_count=Count("revisions"))
        .only("id", "week_id", "state", "published_at")
    )
    accepted = sorted(number_of[w.week_id] for w in works if w.state == WeeklyWork.State.ACCEPTED)
    revisions = {number_of[w.week_id]: w.revision_count for w in works}
    latest: dict[int, Assessment] = {}
    assessments = (
        Assessment.objects.filter(kind=Assessment.Kind.MENTOR, revision__work__in=[w.pk for w in works])
        .select_related("revision__work")
        .only("id", "score", "submitted_at", "revision__id", "revision__work__id", "revision__work__week_id")
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.select_related("criterion", "level")))
        .order_by("submitted_at", "pk")
    )
    for a in assessments:
        latest[number_of[a.revision.work.week_id]] = a
    criterion_ids = {s.criterion_id for a in latest.values() for s in a.scores.all()}
    top = dict(
        Level.objects.filter(criterion_id__in=criterion_ids)
        .values("criterion_id")
        .annotate(top=Max("points"))
        .values_list("criterion_id", "top")
    )
    by_title: dict[str, dict[int, float]] = {}
    order: dict[str, int] = {}
    for number, a in sorted(latest.items()):
        for s in a.scores.all():
            percent = 100.0 * s.level.points / (top.get(s.criterion_id) or 1)
            by_title.setdefault(s.criterion.title, {})[number] = round(percent, 1)
            order.setdefault(s.criterion.title, s.criterion.order)
    series = [
        ProgressSeries(
            title=title,
            css=f"series-{index % 6 + 1}",
            points=[(w.number, by_title[title].get(w.number)) for w in weeks],
        )
        for index, title in enumerate(sorted(by_title, key=lambda t: order[t]))
    ]
    chart = progress_chart(series, len(weeks))
    scores_by_week = {n: a.score for n, a in latest.items()}
    table = [
        {
            "number": w.number,
            "values": [by_title[s.title].get(w.number) for s in series],
            "score": scores_by_week.get(w.number),
            "revisions": revisions.get(w.number, 0),
            "accepted": w.number in accepted,
        }
        for w in weeks
    ]
    return Progress(
        cohort=cohort,
        student=student,
        weeks=weeks,
        series=series,
        accepted_weeks=accepted,
        revisions_per_week=revisions,
        scores_by_week=scores_by_week,
        chart=chart,
        table=table,
    )


def progress_chart(series: list[ProgressSeries], week_count: int) -> dict:
    """Geometry of the server-rendered line chart: x is the week, y the percent of the top
    level; a gap where a week has no score."""
    width, height, left, top_pad, base = 760, 260, 44, 16, 220
    step = (width - left - 16) / max(1, week_count - 1)

    def x(n: int) -> float:
        return round(left + (n - 1) * step, 1)

    def y(p: float) -> float:
        return round(base - (base - top_pad) * p / 100, 1)

    for s in series:
        parts, pen_down = [], False
        for n, p in s.points:
            if p is None:
                pen_down = False
                continue
            parts.append(f"{'L' if pen_down else 'M'}{x(n)},{y(p)}")
            pen_down = True
            s.dots.append({"x": x(n), "y": y(p), "week": n, "value": p})
        s.path = " ".join(parts)
    return {
        "width": width,
        "height": height,
        "base": base,
        "left": left,
        "right": width - 16,
        "gridlines": [{"y": y(p), "label": p} for p in (0, 25, 50, 75, 100)],
        "ticks": [{"x": x(n), "label": n} for n in range(1, week_count + 1) if n == 1 or n % 4 == 0],
        "label_y": base + 18,
    }


# --- Calibration ------------------------------------------------------------------------------


@dataclass
class CriterionAgreement:
    criterion: Criterion
    levels: list[Level | None]  # one per mentor, in the run's mentor order
    spread: int | None  # max − min points among those who scored
    exact: bool | None  # everyone chose the same level
    pair_agreement: float | None  # percent of mentor pairs choosing the same level
    alpha_across_runs: float | None  # over every run with this rubric version (units = runs)


@dataclass
class CalibrationResult:
    run: CalibrationRun
    mentors: list[User]
    scored: set[int]
    rows: list[CriterionAgreement]
    scores: list[Decimal | None]  # weighted score per mentor
    alpha: float | None  # ordinal Krippendorff's alpha over the criteria of this run
    pair_agreement: float | None  # percent exact agreement over all criteria and mentor pairs
    runs_with_rubric: int

    @property
    def score_range(self) -> Decimal | None:
        present = [s for s in self.scores if s is not None]
        return max(present) - min(present) if len(present) >= 2 else None


def krippendorff_ordinal(matrix: list[list[float | None]], domain: list[int]) -> float | None:
    """Krippendorff's alpha (ordinal) for coders × units; None when it is undefined (fewer
    than two units scored by two coders, or no variation at all)."""
    # Imported here: numpy (through krippendorff) costs every process start a noticeable
    # moment and memory, and only the calibration page's agreement figure needs it.
    import krippendorff
    import numpy as np

    pairable_units = sum(1 for unit in zip(*matrix, strict=True) if sum(v is not None for v in unit) >= 2)
    if len(matrix) < 2 or pairable_units < 2 or len(domain) < 2:
        return None
    data = np.array([[math.nan if v is None else float(v) for v in row] for row in matrix], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            value = float(
                krippendorff.alpha(reliability_data=data, value_domain=domain, level_of_measurement="ordinal")
            )
        except ValueError:
            return None
    return None if math.isnan(value) else round(value, 3)


def _pair_agreement(values: list[int | None]) -> tuple[int, int]:
    present = [v for v in values if v is not None]
    pairs = list(itertools.combinations(present, 2))
    return sum(1 for a, b in pairs if a == b), len(pairs)


def calibration_result(run: CalibrationRun) -> CalibrationResult:
    """Each mentor's level per criterion, exact agreement, spread and Krippendorff's alpha.
    Seven queries whatever the number of mentors and criteria."""
    criteria = rubric_criteria(run.rubric)
    mentors = list(run.mentors.order_by("name", "email"))
    position = {m.pk: i for i, m in enumerate(mentors)}
    assessments = list(
        Assessment.objects.filter(calibration_run=run).prefetch_related(
            Prefetch("scores", queryset=CriterionScore.objects.select_related("level"))
        )
    )
    chosen: dict[tuple[int, int], Level] = {}
    scores: list[Decimal | None] = [None] * len(mentors)
    for a in assessments:
        if a.scorer_id not in position:
            continue
        scores[position[a.scorer_id]] = a.score
        for s in a.scores.all():
            chosen[(a.scorer_id, s.criterion_id)] = s.level
    domain = sorted({lv.points for c in criteria for lv in c.levels.all()})
    # Per-criterion alpha pools every run of this rubric version: one unit per run.
    pooled: dict[int, dict[tuple[int, int], int]] = defaultdict(dict)  # criterion → (run, scorer) → points
    for run_id, scorer_id, criterion_id, points in CriterionScore.objects.filter(
        assessment__calibration_run__rubric=run.rubric
    ).values_list("assessment__calibration_run_id", "assessment__scorer_id", "criterion_id", "level__points"):
        pooled[criterion_id][(run_id, scorer_id)] = points
    runs_with_rubric = CalibrationRun.objects.filter(rubric=run.rubric, assessments__isnull=False).distinct().count()

    rows, agree_total, pair_total = [], 0, 0
    for c in criteria:
        levels = [chosen.get((m.pk, c.pk)) for m in mentors]
        points = [lv.points if lv else None for lv in levels]
        present = [p for p in points if p is not None]
        agree, pairs = _pair_agreement(points)
        agree_total += agree
        pair_total += pairs
        cells = pooled.get(c.pk, {})
        run_ids = sorted({r for r, _ in cells})
        scorer_ids = sorted({s for _, s in cells})
        matrix = [[cells.get((r, s)) for r in run_ids] for s in scorer_ids]
        rows.append(
            CriterionAgreement(
                criterion=c,
                levels=levels,
                spread=(max(present) - min(present)) if present else None,
                exact=(len(set(present)) == 1) if len(present) >= 2 else None,
                pair_agreement=round(100 * agree / pairs, 1) if pairs else None,
                alpha_across_runs=krippendorff_ordinal(matrix, domain) if matrix else None,
            )
        )
    overall_matrix = [
        [chosen[(m.pk, c.pk)].points if (m.pk, c.pk) in chosen else None for c in criteria] for m in mentors
    ]
    return CalibrationResult(
        run=run,
        mentors=mentors,
        scored={a.scorer_id for a in assessments},
        rows=rows,
        scores=scores,
        alpha=krippendorff_ordinal(overall_matrix, domain),
        pair_agreement=round(100 * agree_total / pair_total, 1) if pair_total else None,
        runs_with_rubric=runs_with_rubric,
    )


def calibration_runs_for(user: User) -> list[CalibrationRun]:
    """Runs of the cohorts the user instructs, and runs the user is a mentor in."""
    runs = CalibrationRun.objects.select_related("cohort", "revision__work__week", "revision__work__deliverable")
    if not is_platform_admin(user):
        instructs = Membership.objects.instructed_cohort_ids(user=user)
        runs = runs.filter(Q(cohort__in=instructs) | Q(mentors=user)).distinct()
    return list(
        runs.annotate(scored=Count("assessments", distinct=True)).defer("revision__content", "revision__work__content")
    )


def calibration_candidates(cohort: Cohort) -> list[Revision]:
    """Recent submitted revisions of the cohort to choose from (one query)."""
    return list(
        Revision.objects.filter(work__cohort=cohort)
        .select_related("work__week", "work__deliverable")
        .defer("content", "work__content")
        .order_by("-submitted_at")[:50]
    )


@dataclass(frozen=True)
class ReviewQueueHealth:
    waiting: int
    overdue: int
    oldest_wait_seconds: float


def review_queue_health(now: datetime.datetime | None = None) -> ReviewQueueHealth:
    """Across all cohorts: work awaiting review, how much of it is past its cohort's review
    deadline (the rule `review_queue` applies per item: submitted_at + review_deadline_hours),
    and how long the oldest has waited. Two queries whatever the size: the distinct deadlines
    in use, then one aggregate with a count per deadline."""
    now = now or timezone.now()
    waiting = WeeklyWork.objects.filter(state__in=WeeklyWork.AWAITING_REVIEW_STATES, latest_revision__isnull=False)
    deadlines = sorted(set(waiting.values_list("cohort__review_deadline_hours", flat=True).distinct()))
    overdue = {
        f"overdue_{hours}": Count(
            "pk",
            filter=Q(
                cohort__review_deadline_hours=hours,
                latest_revision__submitted_at__lt=now - datetime.timedelta(hours=hours),
            ),
        )
        for hours in deadlines
    }
    figures = waiting.aggregate(count=Count("pk"), oldest=Min("latest_revision__submitted_at"), **overdue)
    oldest = figures["oldest"]
    return ReviewQueueHealth(
        waiting=figures["count"],
        overdue=sum(figures[f"overdue_{hours}"] for hours in deadlines),
        oldest_wait_seconds=(now - oldest).total_seconds() if oldest else 0.0,
    )
