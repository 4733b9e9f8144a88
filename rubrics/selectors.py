"""Reads for the review queue, scoring and feedback pages, the gradebook, progress and
calibration. Each page's data comes from a fixed number of queries, whatever the cohort
size (see tests/rubrics/test_query_budgets.py)."""

import base64
import datetime
import itertools
import json
import math
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.db import connections
from django.db.models import (
    Avg,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, Round
from django.utils import timezone

from accounts.models import User
from cohorts import selectors as cohort_selectors
from cohorts.models import Cohort, Membership, MentorAssignment
from cohorts.policies import can_manage_cohort, is_platform_admin
from cohorts.schedule import week_window
from curriculum.models import Objective, Week
from curriculum.selectors import course_capstones
from submissions.models import (
    WORK_STATUSES,
    Revision,
    StatusTarget,
    WeeklyWork,
    WorkStatus,
    work_status,
    work_status_q,
)

from .models import (
    Assessment,
    AssessmentDraft,
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


def mastery_points_ceiling(cohort: Cohort) -> int | None:
    """The most points a mastery rule may ask of this cohort: the lowest top level among the
    criteria linked to an outcome objective in the rubrics attached to its course (a rule above
    it could never be met for the objectives that criterion speaks for). None when no linked
    criterion is attached: nothing to measure against. One query."""
    attached = RubricAttachment.objects.filter(course_id=cohort.course_id).values("rubric_id")
    tops = (
        Level.objects.filter(criterion__rubric_id__in=attached, criterion__objective_links__isnull=False)
        .values("criterion_id")
        .annotate(top=Max("points"))
        .order_by()
        .values("top")
    )
    return min((row["top"] for row in tops), default=None)


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


def changes_requested_assessment(revision_id: int) -> Assessment | None:
    """The mentor assessment that requested changes on a revision (the latest, should there be
    more than one), with its scorer and per-criterion scores (two queries)."""
    return (
        _assessments_with_scores()
        .filter(revision_id=revision_id, kind=Assessment.Kind.MENTOR, decision=Assessment.Decision.REQUEST_CHANGES)
        .order_by("-submitted_at", "-pk")
        .first()
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
        .order_by(*REVIEW_QUEUE_ORDER)
    )


# The queue's order (oldest submission first); review_queue_next walks it from a given work.
REVIEW_QUEUE_ORDER = ("latest_revision__submitted_at", "pk")


@dataclass(frozen=True)
class QueueNext:
    work: WeeklyWork | None  # the next work after the one given, in the queue's order
    still_waiting: int  # when there is none: how many (earlier) works still wait in the queue


def review_queue_next(user: User, *, after: Revision) -> QueueNext:
    """The work that follows `after`'s work in the user's review queue (review_queue_works and
    its order), for "Save and open the next". Two queries (teaching scope, the next work), and a
    count of what still waits when `after` was the last one."""
    works = review_queue_works(user).exclude(pk=after.work_id)
    following = works.filter(
        Q(latest_revision__submitted_at__gt=after.submitted_at)
        | Q(latest_revision__submitted_at=after.submitted_at, pk__gt=after.work_id)
    ).first()
    if following is not None:
        return QueueNext(work=following, still_waiting=0)
    return QueueNext(work=None, still_waiting=works.count())


def assessment_draft_for(revision: Revision, scorer: User) -> AssessmentDraft | None:
    """The scorer's draft assessment of the revision (one query); nobody else's, ever."""
    return AssessmentDraft.objects.filter(revision=revision, scorer=scorer).first()


def _queue_item(work: WeeklyWork, now: datetime.datetime) -> QueueItem:
    revision = work.latest_revision
    deadline = revision.submitted_at + datetime.timedelta(hours=work.cohort.review_deadline_hours)
    return QueueItem(
        work=work, revision=revision, waited=now - revision.submitted_at, deadline_at=deadline, overdue=now > deadline
    )


# Rows of the review queue page: the page costs the same however long the queue is (a mentor of
# 30 students had about 100 rows waiting, an instructor of a 3,334-student cohort thousands, all
# rendered on one page).
QUEUE_PAGE_SIZE = 25


@dataclass
class QueuePage:
    items: list[QueueItem]
    number: int
    has_next: bool

    @property
    def first_position(self) -> int:
        return (self.number - 1) * QUEUE_PAGE_SIZE + 1

    @property
    def last_position(self) -> int:
        return self.first_position + len(self.items) - 1

    def changes_at(self, now: datetime.datetime) -> datetime.datetime | None:
        """When the page would show something else with nothing done: the first row whose
        waiting time reaches its next whole hour (QueueItem.waited_label) or whose review
        deadline passes (the overdue mark). None for an empty page."""
        moments = []
        for item in self.items:
            hours = int(item.waited.total_seconds() // 3600)
            moments.append(item.revision.submitted_at + datetime.timedelta(hours=hours + 1))
            if not item.overdue:
                moments.append(item.deadline_at + datetime.timedelta(microseconds=1))
        return min((moment for moment in moments if moment > now), default=None)


def review_queue_page(user: User, *, number: int = 1, now: datetime.datetime | None = None) -> QueuePage:
    """Page `number` (from 1) of review_queue, oldest first, and whether another follows (one
    query: one row past the page says so, with no COUNT of the whole queue)."""
    now = now or timezone.now()
    offset = (number - 1) * QUEUE_PAGE_SIZE
    works = list(review_queue_works(user)[offset : offset + QUEUE_PAGE_SIZE + 1])
    items = [_queue_item(work, now) for work in works[:QUEUE_PAGE_SIZE]]
    return QueuePage(items=items, number=number, has_next=len(works) > QUEUE_PAGE_SIZE)


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
    items = [_queue_item(work, now) for work in review_queue_works(user, cohort_slug=cohort_slug)]
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
#
# One computation for the page, the heatmap, the API and the exports: values_list tuples,
# scores aggregated in SQL (the latest mentor assessment of each work, Assessment.objects.
# latest_mentor), no model instance per cell. Students come a page at a time, in keyset order
# on (sort key, id), so a page costs the same at 30 students and at 3,000.

GRADEBOOK_PAGE_SIZE = 50
GRADEBOOK_SORTS = {"name": "Name", "total": "Total", "average": "Average"}  # and every column key
# A student with no score sorts after every real score (0–100) in either direction.
_NO_SCORE_LAST = {False: Decimal("1000"), True: Decimal("-1")}


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


class GradeCell(NamedTuple):
    status: WorkStatus  # what the cell says (submissions.models.work_status)
    score: Decimal | None  # the latest mentor score
    is_late: bool  # the latest revision was late
    revision_id: int | None  # the latest revision, which the page links to
    work_id: int | None  # None: no work started

    @property
    def has_work(self) -> bool:
        return self.work_id is not None

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
    week_id: int | None = None
    deliverable_id: int | None = None


@dataclass
class GradeRow:
    student_id: int
    name: str  # the display name
    email: str
    total: Decimal | None  # sum of the latest mentor scores (SQL)
    average: Decimal | None  # their mean, to two places (SQL)
    cells: list[GradeCell]
    marked: bool = False  # flagged by the page's caller (e.g. the insights' at-risk rule)

    @property
    def accepted(self) -> int:
        return sum(1 for c in self.cells if c.status.key in ("accepted", "published"))


@dataclass(frozen=True)
class GradebookQuery:
    """What the reader asked for, already validated (insights.forms.GradebookQueryForm):
    the sort ("name", "total", "average" or a column key), its direction, filters and a
    keyset cursor (the sort key and id of the row to start after, or to end before)."""

    sort: str = "name"
    descending: bool = False
    mentor_id: int | None = None
    status: str | None = None
    after: tuple | None = None
    before: tuple | None = None


@dataclass
class GradebookPage:
    cohort: Cohort
    columns: list[GradeColumn]
    rows: list[GradeRow]
    column_averages: list[Decimal | None]  # per column, over the whole cohort
    query: GradebookQuery
    student_count: int  # in scope and filter, all pages
    next_cursor: str | None
    previous_cursor: str | None
    statuses: list[WorkStatus] = field(default_factory=lambda: list(WORK_STATUSES.values()))


def encode_cursor(key: str | Decimal, student_id: int) -> str:
    """A keyset position as an opaque, URL-safe token."""
    raw = json.dumps([str(key), student_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: str) -> tuple | None:
    """The position a token names for this sort, or None for anything malformed (the reader
    then gets the first page, never an error)."""
    try:
        key, student_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(key, str) or type(student_id) is not int:
            return None
        return (key if sort == "name" else Decimal(key), student_id)
    except (ValueError, TypeError, ArithmeticError):
        return None


def gradebook_columns(cohort: Cohort) -> list[GradeColumn]:
    """The weeks, then the capstone deliverables (three queries: weeks, projects, deliverables)."""
    columns = [
        GradeColumn(key=f"w{w.number}", label=f"W{w.number}", title=w.title, due_week=w, week_id=w.pk)
        for w in Week.objects.for_course(cohort.course)
    ]
    for project in course_capstones(cohort.course):
        for d in project.deliverables.all():
            columns.append(
                GradeColumn(
                    key=f"d{d.pk}",
                    label=f"P{project.number}.{d.order}",
                    title=d.title,
                    due_week=d.due_week,
                    deliverable_id=d.pk,
                )
            )
    return columns


def gradebook_student_scope(cohort: Cohort, user: User, *, manages: bool | None = None) -> QuerySet[User]:
    """The students whose grades the user reads: instructors and admins every student of the
    cohort, mentors their assigned ones (one query for the role, none when the caller passes
    `manages`, can_manage_cohort's answer)."""
    students = User.objects.filter(pk__in=Membership.objects.filter(cohort=cohort).students().values("user_id"))
    if manages is None:
        manages = can_manage_cohort(user, cohort)
    if not manages:
        students = students.filter(
            pk__in=MentorAssignment.objects.filter(cohort=cohort, mentor=user).values("student_id")
        )
    return students


def gradebook_students(cohort: Cohort, user: User) -> list[User]:
    """gradebook_student_scope's students in name order, as users (the at-risk list)."""
    return list(gradebook_student_scope(cohort, user).order_by("name", "email", "pk"))


def gradebook_mentor_choices(cohort: Cohort) -> list[tuple[int, str]]:
    """The cohort's mentors as (id, name) for the gradebook's mentor filter (one query)."""
    mentors = User.objects.filter(pk__in=Membership.objects.filter(cohort=cohort).mentors().values("user_id"))
    return [
        (pk, User.display_name_of(name, email))
        for pk, name, email in mentors.order_by("name", "email").values_list("pk", "name", "email")
    ]


def _latest_scores(cohort: Cohort) -> QuerySet[Assessment]:
    return Assessment.objects.latest_mentor().filter(revision__work__cohort=cohort)


def with_grade_totals(students: QuerySet[User], cohort: Cohort) -> QuerySet[User]:
    """Each student's total (sum of their latest mentor scores in the cohort) and average
    (their mean, to two places), as SQL aggregates."""
    mine = _latest_scores(cohort).filter(revision__work__student_id=OuterRef("pk")).order_by()
    mine = mine.values("revision__work__student_id")
    return students.annotate(
        total=Subquery(mine.annotate(t=Sum("score")).values("t")),
        average=Subquery(
            mine.annotate(a=Round(Avg("score"), 2)).values("a"),
            output_field=DecimalField(max_digits=5, decimal_places=2),
        ),
    )


def _sort_key(query: GradebookQuery, cohort: Cohort, columns: list[GradeColumn]):
    if query.sort == "name":
        return Coalesce(NullIf("name", Value("")), "email", output_field=CharField())
    return Coalesce(
        _score_key(query, cohort, columns), Value(_NO_SCORE_LAST[query.descending]), output_field=DecimalField()
    )


def _score_key(query: GradebookQuery, cohort: Cohort, columns: list[GradeColumn]):
    """The score a numeric sort orders by (None: no score), on a with_grade_totals query."""
    if query.sort in ("total", "average"):
        score = F(query.sort)
    else:
        column = next(c for c in columns if c.key == query.sort)
        score = Subquery(
            _latest_scores(cohort)
            .filter(
                revision__work__student_id=OuterRef("pk"),
                revision__work__week_id=column.week_id,
                revision__work__deliverable_id=column.deliverable_id,
            )
            .values("score")[:1]
        )
    return score


# Statuses whose filter does not depend on the clock (a review state shows whatever the due date).
_TIMELESS_STATUSES = {None, "submitted", "changes_requested", "resubmitted", "accepted", "published"}


def _score_order(
    cohort: Cohort,
    user: User,
    query: GradebookQuery,
    students: QuerySet[User],
    columns: list[GradeColumn],
    *,
    manages: bool,
) -> list[tuple[Decimal | None, int]]:
    """Every student in scope and filter as (score, id), for a sort by a score: one query over
    the whole cohort the first time, then kept under the cohort's grades_version (bumped by every
    service that changes a score, a state, a member or a mentor: cohorts.services.
    cohort_grades_changed) with the viewer's scope, filters and sort. Sorting 3,334 students by a
    score means computing each one's latest mentor scores; walking to page 2, 3 … or turning
    the direction then costs only the page's own rows."""
    scope = "all" if manages else f"mentor-{user.pk}"
    key = (
        f"gradebook:score-order:v1:{cohort.pk}:{cohort.created_at.timestamp():.6f}:{cohort.grades_version}:"
        f"{scope}:{query.mentor_id}:{query.status}:{query.sort}"
    )
    order = cache.get(key)
    if order is None:
        order = _score_order_in_sql(cohort, query, students, columns)
        cache.set(key, order, timeout=3600)
    return order


def _score_order_in_sql(
    cohort: Cohort, query: GradebookQuery, students: QuerySet[User], columns: list[GradeColumn]
) -> list[tuple[Decimal | None, int]]:
    """(score, id) of every student in `students` in two queries: the cohort's latest mentor
    scores by student (the window read, AssessmentQuerySet.latest_mentor_ranked: one sort of the
    cohort's mentor assessments, summed or averaged per student in SQL for a total or an
    average), and the students. The same figures as with_grade_totals and _score_key, which
    compute them per student (a correlated subquery each: 1.8 s of database time at 3,334
    students; the per-work look-up of latest_mentor grouped once still took 0.5-1 s, the window
    read 0.1-0.2 s: docs/performance.md, 6 December)."""
    latest = (
        Assessment.objects.latest_mentor_ranked()
        .filter(revision__work__cohort=cohort, revision__work__student_id__in=students.values("pk"))
        .order_by()
    )
    if query.sort in ("total", "average"):
        by_student = _latest_scores_by_student(latest, query.sort)
    else:
        column = next(c for c in columns if c.key == query.sort)
        by_student = dict(
            latest.filter(
                revision__work__week_id=column.week_id, revision__work__deliverable_id=column.deliverable_id
            ).values_list("revision__work__student_id", "score")
        )
    return [(by_student.get(pk), pk) for pk in students.order_by().values_list("pk", flat=True)]


_SCORE_FIELD = DecimalField(max_digits=8, decimal_places=2)


def _latest_scores_by_student(latest: QuerySet[Assessment], figure: str) -> dict[int, Decimal]:
    """Student id → the sum ("total") or the mean to two places ("average") of the latest
    mentor scores in `latest` (a latest_mentor_ranked query), as with_grade_totals computes
    them. Grouped in SQL around the ranked query: Django would group the ranked query itself
    before ranking, and so sum every assessment of a work, not its latest."""
    rows = latest.values("revision__work__student_id", "score")
    sql, params = rows.query.sql_with_params()
    aggregate = "SUM(latest.score)" if figure == "total" else "ROUND(AVG(latest.score), 2)"
    # Only the ORM's own SQL and one of the two aggregates above go into the statement; every
    # value stays a bound parameter.
    with connections[rows.db].cursor() as cursor:
        grouped = f'SELECT latest."revision__work__student_id", {aggregate} FROM ({sql}) latest GROUP BY 1'
        cursor.execute(grouped, params)
        return {student_id: _SCORE_FIELD.to_python(value) for student_id, value in cursor.fetchall()}


def _page_of_order(
    order: list[tuple[Decimal | None, int]], query: GradebookQuery, page_size: int
) -> tuple[list[tuple[Decimal, int]], bool, bool]:
    """The page the query's cursor names in `order`, as (sort key, id) in reading order, the
    same keyset rules as the SQL path: no score after every score in either direction, ties by
    id; says whether there are rows after and before it."""
    missing = _NO_SCORE_LAST[query.descending]
    keyed = sorted(((missing if score is None else score, pk) for score, pk in order), reverse=query.descending)
    if query.after is not None:
        after = (query.after[0], query.after[1])
        start = next(
            (i for i, item in enumerate(keyed) if (item < after if query.descending else item > after)), len(keyed)
        )
        return keyed[start : start + page_size], start + page_size < len(keyed), True
    if query.before is not None:
        before = (query.before[0], query.before[1])
        end = next(
            (i for i, item in enumerate(keyed) if (item <= before if query.descending else item >= before)), len(keyed)
        )
        start = max(0, end - page_size)
        return keyed[start:end], True, start > 0
    return keyed[:page_size], page_size < len(keyed), False


def _status_targets(columns: list[GradeColumn], cohort: Cohort) -> list[StatusTarget]:
    return [
        StatusTarget(
            week_id=c.week_id,
            deliverable_id=c.deliverable_id,
            due_week_id=c.due_week.pk,
            regular_due_at=week_window(cohort, c.due_week.number).due_at,
        )
        for c in columns
    ]


def gradebook_rows(
    cohort: Cohort,
    students: list[tuple[int, str, str, Decimal | None, Decimal | None]] | list[User],
    columns: list[GradeColumn],
    now: datetime.datetime,
) -> list[GradeRow]:
    """The one computation of the gradebook's cells, for the page, the heatmap, the API and
    the exports (a chunk of students at a time): each cell the status (work_status), the
    latest mentor score and the late flag. `students`: (id, name, email, total, average)
    tuples from with_grade_totals, or users (then total and average are the users' `total`
    and `average` annotations when they have them). Two queries whatever the number of
    students: extensions, and the works with their latest revision and latest mentor score."""
    students = [
        s if isinstance(s, tuple) else (s.pk, s.name, s.email, getattr(s, "total", None), getattr(s, "average", None))
        for s in students
    ]
    ids = [s[0] for s in students]
    due_dates = cohort_selectors.due_dates(cohort=cohort, student_ids=ids)
    index_of = {("w", c.week_id) if c.week_id else ("d", c.deliverable_id): i for i, c in enumerate(columns)}
    works: dict[int, list] = {pk: [None] * len(columns) for pk in ids}
    if ids:
        # No ORDER BY: a work has one latest mentor assessment (the model's ordering would join
        # five tables per cell for nothing).
        latest_score = Subquery(
            _latest_scores(cohort).filter(revision__work_id=OuterRef("pk")).order_by().values("score")[:1]
        )
        for work in (
            WeeklyWork.objects.filter(cohort=cohort, student_id__in=ids)
            .annotate(score=latest_score)
            .order_by()
            .values_list(
                "pk",
                "student_id",
                "week_id",
                "deliverable_id",
                "state",
                "published_at",
                "latest_revision_id",
                "latest_revision__is_late",
                "score",
            )
        ):
            index = index_of.get(("w", work[2]) if work[2] else ("d", work[3]))
            if index is not None:
                works[work[1]][index] = work
    regular_past_due = [now > due_dates.due_at(cohort, c.due_week.number, None) for c in columns]
    not_started = GradeCell(WORK_STATUSES["not_started"], None, False, None, None)
    missing = GradeCell(WORK_STATUSES["missing"], None, False, None, None)
    rows = []
    for student_id, name, email, total, average in students:
        extended = due_dates.extended_weeks(cohort, student_id)
        cells = []
        for column, work, past_due in zip(columns, works[student_id], regular_past_due, strict=True):
            if column.due_week.number in extended:
                past_due = now > due_dates.due_at(cohort, column.due_week.number, student_id)
            if work is None:
                cells.append(missing if past_due else not_started)
                continue
            work_id, _, _, _, state, published_at, revision_id, is_late, score = work
            status = work_status(
                display_state=WeeklyWork.display_state_of(state, published_at),
                submitted=revision_id is not None,
                past_due=past_due,
            )
            cells.append(GradeCell(status, score, bool(is_late), revision_id, work_id))
        rows.append(GradeRow(student_id, User.display_name_of(name, email), email, total, average, cells))
    return rows


def mentor_scores_version() -> int | None:
    """The highest mentor assessment id: the version of every figure cached from mentor scores
    (the gradebook's column averages, the mastery page's cohort medians). Mentor assessments
    are only ever added (never edited or deleted; their scores come from the levels once,
    erasure rewrites only words), so a new id is the only way those figures change. One query,
    an index lookup."""
    return Assessment.objects.filter(kind=Assessment.Kind.MENTOR).aggregate(last=Max("pk"))["last"]


def cohort_column_averages(cohort: Cohort) -> dict[tuple[int | None, int | None], Decimal]:
    """(week id, deliverable id) → the mean of the latest mentor scores of the cohort's works
    there, to two places: the whole cohort, whatever the page shows.

    Over a large cohort this aggregate costs far more than the page, so it is cached under
    mentor_scores_version(), which every new mentor assessment changes. One query on a hit
    (the version, an index lookup), two on a miss."""
    version = mentor_scores_version()
    # The creation instant tells apart two databases whose ids coincide (a restore, a test run).
    key = f"gradebook:column-averages:v1:{cohort.pk}:{cohort.created_at.timestamp()}:{version}"
    averages = cache.get(key)
    if averages is None:
        averages = {
            (week_id, deliverable_id): average
            for week_id, deliverable_id, average in _latest_scores(cohort)
            .order_by()
            .values("revision__work__week_id", "revision__work__deliverable_id")
            .annotate(average=Round(Avg("score"), 2))
            .values_list("revision__work__week_id", "revision__work__deliverable_id", "average")
        }
        cache.set(key, averages, timeout=24 * 3600)
    return averages


def gradebook_page(
    cohort: Cohort,
    user: User,
    query: GradebookQuery = GradebookQuery(),
    *,
    now: datetime.datetime | None = None,
    columns: list[GradeColumn] | None = None,
    manages: bool | None = None,
    keep_ids: Iterable[int] | None = None,
    marked_ids: Iterable[int] | None = None,
    page_size: int = GRADEBOOK_PAGE_SIZE,
) -> GradebookPage:
    """One page of the gradebook in the query's order, with per-student totals and averages
    and per-column averages over the whole cohort (cohort_column_averages).
    `keep_ids` narrows the students further and `marked_ids` flags rows: the hooks for a
    caller above the review app (the insights' at-risk filter and marks). `columns` and
    `manages` (can_manage_cohort) when the caller has them already. Eight queries whatever
    the cohort size: the role, the columns (three), the page of students, their number, the
    column averages' version (nine when the averages are not cached yet), and gradebook_rows'
    two."""
    now = now or timezone.now()
    columns = columns if columns is not None else gradebook_columns(cohort)
    if manages is None:
        manages = can_manage_cohort(user, cohort)
    students = gradebook_student_scope(cohort, user, manages=manages)
    if query.mentor_id is not None:
        students = students.filter(
            pk__in=MentorAssignment.objects.filter(cohort=cohort, mentor_id=query.mentor_id).values("student_id")
        )
    if query.status is not None:
        students = students.filter(
            work_status_q(status=query.status, cohort=cohort, targets=_status_targets(columns, cohort), now=now)
        )
    if keep_ids is not None:
        students = students.filter(pk__any_of=list(keep_ids))  # one parameter however many (core/lookups.py)

    if query.sort != "name" and query.status in _TIMELESS_STATUSES and keep_ids is None:
        order = _score_order(cohort, user, query, students, columns, manages=manages)
        keys, has_next, has_previous = _page_of_order(order, query, page_size)
        found_by_id = {
            line[0]: line
            for line in with_grade_totals(User.objects.filter(pk__in=[pk for _, pk in keys]), cohort).values_list(
                "pk", "name", "email", "total", "average"
            )
        }
        found = [(*found_by_id[pk], key) for key, pk in keys if pk in found_by_id]
        student_count = len(order)
    else:
        found, has_next, has_previous = _page_in_sql(cohort, query, students, columns, page_size)
        student_count = students.count()

    rows = gradebook_rows(cohort, [line[:5] for line in found], columns, now)
    if marked_ids is not None:
        marked = set(marked_ids)
        for row in rows:
            row.marked = row.student_id in marked
    averages = cohort_column_averages(cohort)
    return GradebookPage(
        cohort=cohort,
        columns=columns,
        rows=rows,
        column_averages=[averages.get((c.week_id, c.deliverable_id)) for c in columns],
        query=query,
        student_count=student_count,
        next_cursor=encode_cursor(found[-1][5], found[-1][0]) if has_next and found else None,
        previous_cursor=encode_cursor(found[0][5], found[0][0]) if has_previous and found else None,
    )


def _page_in_sql(
    cohort: Cohort, query: GradebookQuery, students: QuerySet[User], columns: list[GradeColumn], page_size: int
) -> tuple[list[tuple], bool, bool]:
    """One keyset page in the query's order, read by the database: (id, name, email, total,
    average, sort key) lines and whether there are rows after and before it."""
    ordered = with_grade_totals(students, cohort).annotate(sort_key=_sort_key(query, cohort, columns))
    backwards = query.before is not None and query.after is None
    cursor = query.before if backwards else query.after
    descending = query.descending != backwards  # reading backwards: the reverse order
    if cursor is not None:
        key, pk = cursor
        if descending:
            ordered = ordered.filter(Q(sort_key__lt=key) | Q(sort_key=key, pk__lt=pk))
        else:
            ordered = ordered.filter(Q(sort_key__gt=key) | Q(sort_key=key, pk__gt=pk))
    ordered = ordered.order_by(
        F("sort_key").desc() if descending else F("sort_key").asc(), "-pk" if descending else "pk"
    )
    found = list(ordered.values_list("pk", "name", "email", "total", "average", "sort_key")[: page_size + 1])
    more = len(found) > page_size
    found = found[:page_size]
    if backwards:
        found.reverse()
    has_next, has_previous = (True, more) if backwards else (more, cursor is not None)
    return found, has_next, has_previous


def latest_mentor_scores(cohort: Cohort | list[Cohort], student_ids: list[int]) -> dict[int, Decimal]:
    """Work id → the weighted score of its latest mentor assessment, for these students of
    the cohort (or of these cohorts: the at-risk rules of a reminder sweep) in one query; the
    gradebook, the cohort report and the at-risk rules read this score."""
    cohort_ids = [c.pk for c in cohort] if isinstance(cohort, list) else [cohort.pk]
    return dict(
        Assessment.objects.latest_mentor_ranked()
        .filter(revision__work__cohort_id__in=cohort_ids, revision__work__student_id__in=student_ids)
        .order_by()
        .values_list("revision__work_id", "score")
    )


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
