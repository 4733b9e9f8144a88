"""A learner's grades and mastery, for the pages, the API and the reports. The grades reuse
the gradebook's one computation (rubrics.selectors.gradebook_rows); mastery counts the
objective judgements made at acceptance (rubrics.models.ObjectiveJudgement) per week and
Bloom level in SQL. Each read is a fixed number of queries whatever the cohort's size
(tests/progress/test_query_counts.py)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from cohorts import selectors as cohort_selectors
from cohorts.models import Cohort
from curriculum.models import BloomLevel, Objective, Week
from rubrics.models import Assessment, Criterion, CriterionScore, Level, ObjectiveJudgement
from rubrics.selectors import (
    GradeCell,
    GradeColumn,
    ProgressSeries,
    format_score,
    gradebook_columns,
    gradebook_rows,
    mentor_scores_version,
)
from rubrics.selectors import progress_chart as line_chart

# --- Grades ------------------------------------------------------------------------------------


@dataclass
class GradeLine:
    column: GradeColumn
    cell: GradeCell
    decision: str  # the latest mentor decision's label, "" before any
    decided_at: datetime.datetime | None
    feedback_revision_id: int | None  # the revision whose feedback page to link
    running_average: Decimal | None  # mean of the scores so far, this line included


@dataclass
class Grades:
    cohort: Cohort
    student: User
    lines: list[GradeLine]
    accepted: int
    scored: int
    average: Decimal | None
    late: int

    @property
    def total(self) -> int:
        return len(self.lines)


def _mean(scores: list[Decimal]) -> Decimal | None:
    if not scores:
        return None
    return (sum(scores) / len(scores)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grades_for(cohort: Cohort, student: User, now: datetime.datetime | None = None) -> Grades:
    """Every week and capstone deliverable of the student, in the gradebook's order, with the
    gradebook's state, weighted score and late flag, plus the latest mentor decision and its
    date and a link to the feedback; the number accepted, the average of the scores so far and
    the running average. Six queries: the gradebook's columns (three) and row (two), and
    the mentor decisions."""
    columns = gradebook_columns(cohort)
    (row,) = gradebook_rows(cohort, [student], columns, now or timezone.now())
    decisions: dict[int, Assessment] = {}
    for assessment in (
        Assessment.objects.filter(kind=Assessment.Kind.MENTOR, revision__work__cohort=cohort)
        .filter(revision__work__student=student)
        .order_by("submitted_at", "pk")
        .only("id", "decision", "submitted_at", "revision_id", "revision__work_id")
        .select_related("revision")
    ):
        decisions[assessment.revision.work_id] = assessment  # ordered by time: the last one wins
    lines, so_far = [], []
    for column, cell in zip(columns, row.cells, strict=True):
        decided = decisions.get(cell.work_id) if cell.has_work else None
        if cell.score is not None:
            so_far.append(cell.score)
        lines.append(
            GradeLine(
                column=column,
                cell=cell,
                decision=decided.get_decision_display() if decided else "",
                decided_at=decided.submitted_at if decided else None,
                feedback_revision_id=cell.revision_id,
                running_average=_mean(so_far) if cell.score is not None else None,
            )
        )
    return Grades(
        cohort=cohort,
        student=student,
        lines=lines,
        accepted=row.accepted,
        scored=len(so_far),
        average=_mean(so_far),
        late=sum(1 for c in row.cells if c.is_late),
    )


# --- Mastery -------------------------------------------------------------------------------------

MET, NOT_YET, NOT_ASSESSED, NOT_DUE = "met", "not_yet", "not_assessed", "not_due"
CELL_LABELS = {
    MET: "Met",
    NOT_YET: "Not yet met",
    NOT_ASSESSED: "Not assessed",
    NOT_DUE: "Not due yet",
}


@dataclass
class MasteryObjective:
    text: str
    verb: str
    state: str  # MET, NOT_YET, NOT_ASSESSED or NOT_DUE

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state]


@dataclass
class MasteryCell:
    week: int
    level: BloomLevel
    total: int
    met: int
    not_met: int
    due: bool
    objectives: list[MasteryObjective] = field(default_factory=list)

    @property
    def state(self) -> str:
        """Not yet met when any objective here was judged not met; met when all were met;
        otherwise not assessed (due) or not due yet."""
        if self.not_met:
            return NOT_YET
        if self.total and self.met == self.total:
            return MET
        return NOT_ASSESSED if self.due else NOT_DUE

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state] if self.total else ""


@dataclass
class LevelSummary:
    level: BloomLevel
    total: int
    met: int
    not_met: int
    due: int

    @property
    def not_assessed(self) -> int:
        return self.due - self.met - self.not_met

    @property
    def not_due(self) -> int:
        return self.total - self.due


@dataclass
class CriterionTrend:
    title: str
    mine: dict[int, float]  # week number → percent of the criterion's top level
    median: dict[int, float]  # week number → the cohort's median percent


@dataclass
class Mastery:
    cohort: Cohort
    student: User
    levels: list[BloomLevel]
    weeks: list[Week]
    grid: list[tuple[Week, list[MasteryCell | None]]]  # per week, one cell per level (None: no objective)
    summary: list[LevelSummary]
    trends: list[CriterionTrend]
    charts: list[dict]

    @property
    def trend_table(self) -> list[dict]:
        """Per week, (the student's percent, the cohort median) per criterion."""
        return [
            {"number": w.number, "values": [(t.mine.get(w.number), t.median.get(w.number)) for t in self.trends]}
            for w in self.weeks
        ]


def _judged_objectives(cohort: Cohort, student: User):
    """The course's outcome objectives with a Bloom level, each annotated with its latest
    judgement for this student in this cohort (`latest_met`: True, False or None)."""
    latest = (
        ObjectiveJudgement.objects.current()
        .filter(objective=OuterRef("pk"), work__cohort=cohort, work__student=student)
        .order_by()  # one current judgement per objective and work: the models' default order only adds joins
        .values("met")[:1]
    )
    return (
        Objective.objects.filter(week__course_id=cohort.course_id, kind=Objective.Kind.OUTCOME)
        .filter(bloom_level__isnull=False)
        .annotate(latest_met=Subquery(latest))
    )


def mastery_for(cohort: Cohort, student: User, now: datetime.datetime | None = None) -> Mastery:
    """Weeks × Bloom levels of the student's outcome objectives, each cell met / not yet met /
    not assessed / not due (with the objectives behind it), a summary per level and the trend
    of the rubric score per criterion beside the cohort's median. Eight queries (ten when the
    cohort's medians are not cached): Bloom levels, weeks, extensions, the cells' counts
    (grouped in SQL by week and level over each objective's current judgement), the
    objectives behind the cells, the per-level summary (grouped in SQL), and criterion_trends'
    two."""
    now = now or timezone.now()
    levels = list(BloomLevel.objects.order_by("rank"))
    weeks = list(Week.objects.for_course(cohort.course))
    due_dates = cohort_selectors.due_dates(cohort=cohort, student_ids=[student.pk])
    due_numbers = [w.number for w in weeks if due_dates.due_at(cohort, w.number, student.pk) <= now]
    last_due = max(due_numbers, default=0)

    level_of = {lv.pk: lv for lv in levels}
    judged = _judged_objectives(cohort, student)
    cells = {
        (row["week__number"], row["bloom_level_id"]): MasteryCell(
            week=row["week__number"],
            level=level_of[row["bloom_level_id"]],
            total=row["total"],
            met=row["met"],
            not_met=row["not_met"],
            due=row["week__number"] <= last_due,
        )
        for row in judged.values("week__number", "bloom_level_id")
        .annotate(
            total=Count("pk"),
            met=Count("pk", filter=Q(latest_met=True)),
            not_met=Count("pk", filter=Q(latest_met=False)),
        )
        .order_by()
    }
    # The objectives behind each cell, for its disclosure and the table alternative.
    for objective in judged.values("week__number", "bloom_level_id", "text", "verb", "latest_met").order_by(
        "week__number", "order"
    ):
        cell = cells[(objective["week__number"], objective["bloom_level_id"])]
        judgement = {True: MET, False: NOT_YET}.get(objective["latest_met"])
        cell.objectives.append(
            MasteryObjective(
                text=objective["text"],
                verb=objective["verb"],
                state=judgement or (NOT_ASSESSED if cell.due else NOT_DUE),
            )
        )
    used = [lv for lv in levels if any(k[1] == lv.pk for k in cells)]
    grid = [(w, [cells.get((w.number, lv.pk)) for lv in used]) for w in weeks]

    summary_rows = (
        _judged_objectives(cohort, student)
        .values("bloom_level_id")
        .annotate(
            total=Count("pk"),
            met=Count("pk", filter=Q(latest_met=True)),
            not_met=Count("pk", filter=Q(latest_met=False)),
            due=Count("pk", filter=Q(week__number__lte=last_due)),
        )
        .order_by()
    )
    by_level = {row["bloom_level_id"]: row for row in summary_rows}
    summary = [
        LevelSummary(
            level=lv,
            total=by_level[lv.pk]["total"],
            met=by_level[lv.pk]["met"],
            not_met=by_level[lv.pk]["not_met"],
            due=by_level[lv.pk]["due"],
        )
        for lv in used
    ]
    trends = criterion_trends(cohort, student, weeks)
    return Mastery(
        cohort=cohort,
        student=student,
        levels=used,
        weeks=weeks,
        grid=grid,
        summary=summary,
        trends=trends,
        charts=_trend_charts(trends, len(weeks)),
    )


def _median(histogram: list[tuple[float, int]]) -> float:
    """The median of values given as (value, how many), sorted by value."""
    total = sum(n for _, n in histogram)
    middle = [(total - 1) // 2, total // 2]
    found, seen = [], 0
    for value, n in histogram:
        for index in middle:
            if seen <= index < seen + n:
                found.append(value)
        seen += n
    return round(sum(found) / len(found), 1)


def _percent(points: int, top: int | None) -> float:
    """A level's points as the percent of its criterion's top level."""
    return round(100.0 * points / (top or 1), 1)


def _weekly_latest_mentor(cohort: Cohort) -> QuerySet[Assessment]:
    """The latest mentor assessment of each of the cohort's weekly works (the owner of
    "latest": AssessmentQuerySet.latest_mentor)."""
    return Assessment.objects.latest_mentor().filter(revision__work__cohort=cohort, revision__work__week__isnull=False)


@dataclass(frozen=True)
class CriterionMedians:
    title: str
    order: int
    median: dict[int, float]  # week number → the cohort's median percent


def cohort_criterion_medians(cohort: Cohort, week_numbers: dict[int, int]) -> list[CriterionMedians]:
    """Per rubric criterion (by title, so that rubric versions line up) and week: the median
    percent of the criterion's top level over the latest mentor review of every student of the
    cohort with one that week, in the criteria's order. `week_numbers` maps week id → number.

    The scores of a whole cohort are hundreds of thousands of rows (3,334 students × 24 weeks ×
    5 criteria), seconds of work for the database, while a learner's page needs only a few
    dozen medians; so they are computed once per cohort and cached under
    rubrics.selectors.mentor_scores_version(), which every new mentor assessment changes (the
    gradebook's column averages use the same version). One query on a hit; three on a miss:
    the scores grouped in SQL by week, criterion and level points (rubric-sized, not
    cohort-sized), and the criteria with their top level."""
    version = mentor_scores_version()
    # The creation instant tells apart two databases whose ids coincide (a restore, a test run).
    key = f"progress:criterion-medians:v1:{cohort.pk}:{cohort.created_at.timestamp()}:{version}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    counts = list(
        CriterionScore.objects.filter(assessment__in=_weekly_latest_mentor(cohort))
        .values_list("assessment__revision__work__week_id", "criterion_id", "level__points")
        .annotate(n=Count("pk"))
        .order_by()
    )
    criteria = {
        pk: (title, order, top)
        for pk, title, order, top in Criterion.objects.filter(pk__in={row[1] for row in counts})
        .annotate(top=Max("levels__points"))
        .values_list("pk", "title", "order", "top")
    }
    histograms: dict[str, dict[int, dict[float, int]]] = defaultdict(lambda: defaultdict(dict))
    order_of: dict[str, int] = {}
    for week_id, criterion_id, points, n in counts:
        title, order, top = criteria[criterion_id]
        percent = _percent(points or 0, top)
        bucket = histograms[title][week_numbers.get(week_id, 0)]
        bucket[percent] = bucket.get(percent, 0) + n
        order_of[title] = min(order, order_of.get(title, order))
    medians = [
        CriterionMedians(
            title=title,
            order=order_of[title],
            median={week: _median(sorted(bucket.items())) for week, bucket in sorted(by_week.items())},
        )
        for title, by_week in sorted(histograms.items(), key=lambda item: (order_of[item[0]], item[0]))
    ]
    cache.set(key, medians, timeout=24 * 3600)
    return medians


def criterion_trends(cohort: Cohort, student: User, weeks: list[Week] | None = None) -> list[CriterionTrend]:
    """Per criterion and week: the percent of the criterion's top level in the student's latest
    mentor review, beside the cohort's median (cohort_criterion_medians). Two queries when the
    medians are cached (their version, the student's scores read through the student's works),
    four when not; one more without `weeks`."""
    weeks = weeks if weeks is not None else list(Week.objects.for_course(cohort.course))
    medians = cohort_criterion_medians(cohort, {w.pk: w.number for w in weeks})
    number_of = {w.pk: w.number for w in weeks}
    mine: dict[str, dict[int, float]] = defaultdict(dict)
    order_of: dict[str, int] = {}
    # Read from the student's own latest reviews towards their scores, so that the database
    # walks the student's works by index instead of every score of the cohort.
    top = Level.objects.filter(criterion=OuterRef("scores__criterion_id")).order_by("-points").values("points")[:1]
    for week_id, title, order, points, top_points in (
        _weekly_latest_mentor(cohort)
        .filter(revision__work__student_id=student.pk, scores__isnull=False)
        .order_by()
        .values_list(
            "revision__work__week_id",
            "scores__criterion__title",
            "scores__criterion__order",
            "scores__level__points",
            Subquery(top),
        )
    ):
        mine[title][number_of.get(week_id, 0)] = _percent(points or 0, top_points)
        order_of.setdefault(title, order)
    trends = [CriterionTrend(title=m.title, mine=mine.pop(m.title, {}), median=dict(m.median)) for m in medians]
    # Scores the cached medians do not know yet (none while the version holds; kept for safety).
    trends += [
        CriterionTrend(title=title, mine=points, median={})
        for title, points in sorted(mine.items(), key=lambda item: (order_of[item[0]], item[0]))
    ]
    return trends


def _trend_charts(trends: list[CriterionTrend], week_count: int) -> list[dict]:
    """One small line chart per criterion: the student's line and the cohort median's."""
    charts = []
    for trend in trends:
        series = [
            ProgressSeries(
                title="This student",
                css="series-1",
                points=[(n, trend.mine.get(n)) for n in range(1, week_count + 1)],
            ),
            ProgressSeries(
                title="Cohort median",
                css="series-median",
                points=[(n, trend.median.get(n)) for n in range(1, week_count + 1)],
            ),
        ]
        charts.append({"trend": trend, "series": series, "geometry": line_chart(series, week_count)})
    return charts


def grades_as_rows(grades: Grades) -> list[dict]:
    """The grades as plain values (the API and the reports)."""
    return [
        {
            "key": line.column.key,
            "label": line.column.label,
            "title": line.column.title,
            "state": line.cell.status.key,
            "state_label": line.cell.label,
            "score": format_score(line.cell.score),
            "late": line.cell.is_late,
            "decision": line.decision,
            "decided_at": line.decided_at,
            "running_average": format_score(line.running_average),
            "feedback_revision_id": line.feedback_revision_id,
        }
        for line in grades.lines
    ]


def mastery_as_data(mastery: Mastery) -> dict:
    """The mastery as plain values (the API and the reports)."""
    return {
        "cohort": mastery.cohort.slug,
        "student": mastery.student.pk,
        "summary": [
            {
                "bloom_level": s.level.key,
                "total": s.total,
                "met": s.met,
                "not_met": s.not_met,
                "not_assessed": s.not_assessed,
                "not_due": s.not_due,
            }
            for s in mastery.summary
        ],
        "cells": [
            {
                "week": cell.week,
                "bloom_level": cell.level.key,
                "state": cell.state,
                "objectives": [{"text": o.text, "state": o.state} for o in cell.objectives],
            }
            for _, row in mastery.grid
            for cell in row
            if cell is not None
        ],
        "trends": [
            {
                "criterion": t.title,
                "points": [
                    {"week": w.number, "percent": t.mine.get(w.number), "cohort_median": t.median.get(w.number)}
                    for w in mastery.weeks
                ],
            }
            for t in mastery.trends
        ],
    }


def objectives_met_by_student(cohort: Cohort, student_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Student id → (outcome objectives met, objectives judged) by their current judgements,
    for a chunk of the cohort report (one query, grouped in SQL)."""
    rows = (
        ObjectiveJudgement.objects.current()
        .filter(work__cohort=cohort, work__student_id__in=student_ids)
        .values("work__student_id")
        .annotate(met=Count("pk", filter=Q(met=True)), judged=Count("pk"))
        .order_by()
    )
    return {row["work__student_id"]: (row["met"], row["judged"]) for row in rows}
