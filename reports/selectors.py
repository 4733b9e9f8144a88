"""Reads for the reports: the report pages' lists, and the bulk data the generators stream.

A report over 1,000 students × 24 weeks must not hold the cohort in memory, so the reads
below load one chunk of students at a time: the same fixed set of queries per chunk (see
`student_chunk`), whatever the number of weeks, works or artifacts. The rules they apply
have their owners elsewhere (due dates: cohorts.selectors.due_dates; retrospective done:
Retrospective.objects.done(); latest scores: rubrics.selectors.latest_mentor_scores); the
gradebook report reads the gradebook's own computation, rubrics.selectors.gradebook_rows.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership, MentorAssignment
from cohorts.policies import is_platform_admin
from cohorts.schedule import DueDates
from cohorts.selectors import cohorts_for_user, due_dates
from curriculum.models import CapstoneDeliverable, Week
from curriculum.selectors import course_capstones
from portfolios.models import PortfolioEntry
from rubrics.selectors import latest_mentor_scores
from submissions.models import Artifact, Retrospective, Revision, RiskEntry, WeeklyWork

from .models import ReportRun

# --- Report pages ----------------------------------------------------------------------


def runs_of(
    user: User, *, kind: str | None = None, status: str | None = None, cohort_slug: str | None = None
) -> QuerySet[ReportRun]:
    """The runs the user requested, newest first, optionally of one kind, status or cohort."""
    runs = ReportRun.objects.filter(requested_by=user).select_related("cohort", "student")
    if kind:
        runs = runs.filter(kind=kind)
    if status:
        runs = runs.filter(status=status)
    if cohort_slug:
        runs = runs.filter(cohort__slug=cohort_slug)
    return runs.order_by("-created_at", "-pk")


def runs_for_user(user: User, limit: int = 50) -> list[ReportRun]:
    """The user's own latest runs (one query)."""
    return list(runs_of(user)[:limit])


def cohorts_for_reports(user: User) -> list[Cohort]:
    """Cohorts where the user may ask for some report: admins all, others their memberships."""
    return list(cohorts_for_user(user))


def students_for_reports(user: User) -> list[Membership]:
    """Student memberships whose student report the user may ask for (one query): their
    own, every student of the cohorts they instruct (all, for an admin), and their
    assigned students."""
    instructs = Membership.objects.instructed_cohort_ids(user=user)
    students = Membership.objects.students().select_related("cohort", "user")
    if not is_platform_admin(user):
        mentored = MentorAssignment.objects.filter(
            mentor=user, cohort_id=OuterRef("cohort_id"), student_id=OuterRef("user_id")
        )
        students = students.filter(Q(cohort_id__in=instructs) | Q(user=user) | Q(Exists(mentored)))
    return list(students.order_by("cohort__name", "user__name", "user__email"))


# --- Bulk data for the generators --------------------------------------------------------


@dataclass
class CourseFrame:
    """What every row of a cohort report shares: the weeks with their labs' required
    evidence, the capstone deliverables and each week's window (three queries)."""

    cohort: Cohort
    weeks: list[Week]
    required: dict[int, list[str]]  # week id → required evidence lines
    deliverables: list[tuple[str, CapstoneDeliverable]]  # ("P1.2", deliverable)
    numbers: dict[int, int]  # week id → week number
    now: datetime.datetime


def course_frame(cohort: Cohort, now: datetime.datetime) -> CourseFrame:
    weeks = list(Week.objects.for_course(cohort.course).select_related("lab"))
    required = {}
    for week in weeks:
        lab = getattr(week, "lab", None)
        required[week.pk] = lab.evidence_list if lab else []
    deliverables = [
        (f"P{project.number}.{d.order}", d)
        for project in course_capstones(cohort.course)
        for d in project.deliverables.all()
    ]
    return CourseFrame(
        cohort=cohort,
        weeks=weeks,
        required=required,
        deliverables=deliverables,
        numbers={w.pk: w.number for w in weeks},
        now=now,
    )


@dataclass
class WorkFacts:
    id: int
    state: str
    display_state: str
    is_late: bool
    submitted: bool  # has at least one revision
    revision_count: int = 0
    score: Decimal | None = None  # latest mentor assessment's weighted score
    covered: set[str] = field(default_factory=set)


@dataclass
class StudentFacts:
    student: User
    mentors: list[str]
    works: dict[str, WorkFacts]  # "w<week id>" or "d<deliverable id>" → facts
    due_dates: DueDates  # the chunk's due dates, extensions applied
    open_risks: int = 0
    retrospectives_done: int = 0
    portfolio_entries: int = 0

    def due_at(self, frame: CourseFrame, week_id: int) -> datetime.datetime:
        return self.due_dates.due_at(frame.cohort, frame.numbers[week_id], self.student.pk)


def student_ids(cohort: Cohort, *, mentor_id: int | None = None, student_id: int | None = None) -> list[int]:
    """The students a report covers, in name order (one query for ids only, so memory stays
    small however large the cohort)."""
    qs = User.objects.filter(pk__in=Membership.objects.filter(cohort=cohort).students().values("user_id"))
    if mentor_id is not None:
        qs = qs.filter(mentors__cohort=cohort, mentors__mentor_id=mentor_id)
    if student_id is not None:
        qs = qs.filter(pk=student_id)
    return list(qs.order_by("name", "email", "pk").values_list("pk", flat=True).distinct())


def student_chunk(frame: CourseFrame, ids: list[int]) -> list[StudentFacts]:
    """Every fact the cohort report and gradebook need for these students, in nine queries
    whatever the chunk's size: students, mentors, extensions, works (+ latest revision and
    revision count), latest mentor scores, evidence tags, open risks, completed
    retrospectives, published portfolio entries."""
    cohort = frame.cohort
    order = {pk: i for i, pk in enumerate(ids)}
    students = sorted(User.objects.filter(pk__in=ids).only("id", "name", "email"), key=lambda u: order[u.pk])
    mentors: dict[int, list[str]] = defaultdict(list)
    for student_id, name, email in (
        MentorAssignment.objects.filter(cohort=cohort, student_id__in=ids)
        .order_by("mentor__name", "mentor__email")
        .values_list("student_id", "mentor__name", "mentor__email")
    ):
        mentors[student_id].append(name or email)
    due = due_dates(cohort=cohort, student_ids=ids)
    works: dict[int, dict[str, WorkFacts]] = defaultdict(dict)
    by_id: dict[int, WorkFacts] = {}
    for pk, student_id, week_id, deliverable_id, state, published_at, is_late, revision_count in (
        WeeklyWork.objects.filter(cohort=cohort, student_id__in=ids)
        .annotate(revision_count=Count("revisions"))
        .order_by()
        .values_list(
            "pk",
            "student_id",
            "week_id",
            "deliverable_id",
            "state",
            "published_at",
            "latest_revision__is_late",
            "revision_count",
        )
    ):
        display = WeeklyWork.display_state_of(state, published_at)
        facts = WorkFacts(
            id=pk,
            state=state,
            display_state=display,
            is_late=bool(is_late),
            submitted=revision_count > 0,
            revision_count=revision_count,
        )
        works[student_id][f"w{week_id}" if week_id else f"d{deliverable_id}"] = facts
        by_id[pk] = facts
    for work_id, score in latest_mentor_scores(cohort, ids).items():
        by_id[work_id].score = score
    for work_id, item in (
        Artifact.objects.attached()
        .filter(work__cohort=cohort, work__student_id__in=ids)
        .exclude(evidence_item="")
        .order_by()
        .values_list("work_id", "evidence_item")
        .distinct()
    ):
        by_id[work_id].covered.add(item)
    open_risks = dict(
        RiskEntry.objects.filter(cohort=cohort, student_id__in=ids, status=RiskEntry.Status.OPEN)
        .order_by()
        .values("student_id")
        .annotate(n=Count("pk"))
        .values_list("student_id", "n")
    )
    retros: dict[int, int] = defaultdict(int)
    for student_id in (
        Retrospective.objects.filter(cohort=cohort, student_id__in=ids).done().values_list("student_id", flat=True)
    ):
        retros[student_id] += 1
    # Found from the students' portfolios (a portfolio is its owner's, and holds only their own
    # works): from the chunk's works the planner hashed every entry of the database per chunk,
    # 30 ms a chunk at 3,334 students and ten times that at 33,340.
    entries = dict(
        PortfolioEntry.objects.published()
        .filter(portfolio__user_id__in=ids, work__cohort=cohort)
        .order_by()
        .values("portfolio__user_id")
        .annotate(n=Count("pk"))
        .values_list("portfolio__user_id", "n")
    )
    return [
        StudentFacts(
            student=s,
            mentors=mentors.get(s.pk, []),
            works=works.get(s.pk, {}),
            due_dates=due,
            open_risks=open_risks.get(s.pk, 0),
            retrospectives_done=retros.get(s.pk, 0),
            portfolio_entries=entries.get(s.pk, 0),
        )
        for s in students
    ]


# --- One student's dossier ---------------------------------------------------------------


@dataclass
class Dossier:
    frame: CourseFrame
    facts: StudentFacts
    revisions: dict[int, list[tuple[int, datetime.datetime, bool]]]  # work id → (number, submitted, late)
    risks: list[RiskEntry]
    retrospectives: dict[int, Retrospective]  # week id → retrospective


def student_dossier(frame: CourseFrame, student_id: int) -> Dossier:
    """The student's facts (nine queries, as for a chunk of one) plus every revision's
    number and date, the risk log and the retrospectives (three more)."""
    (facts,) = student_chunk(frame, [student_id])
    revisions: dict[int, list[tuple[int, datetime.datetime, bool]]] = defaultdict(list)
    for work_id, number, submitted_at, is_late in (
        Revision.objects.filter(work__cohort=frame.cohort, work__student_id=student_id)
        .order_by("work_id", "number")
        .values_list("work_id", "number", "submitted_at", "is_late")
    ):
        revisions[work_id].append((number, submitted_at, is_late))
    risks = list(
        RiskEntry.objects.filter(cohort=frame.cohort, student_id=student_id)
        .select_related("week_opened", "week_closed")
        .order_by("week_opened__number", "pk")
    )
    retros = {
        r.week_id: r
        for r in Retrospective.objects.filter(cohort=frame.cohort, student_id=student_id).only(
            "week_id", "retain", "improve", "scale"
        )
    }
    return Dossier(frame=frame, facts=facts, revisions=revisions, risks=risks, retrospectives=retros)


def report_runs_backlog(now: datetime.datetime | None = None) -> dict[str, float]:
    """Report runs not finished, by status (queued, running, stalled), and how long the
    oldest queued one has waited: one query (finished runs are excluded by status)."""
    now = now or timezone.now()
    unfinished = (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING, ReportRun.Status.STALLED)
    backlog: dict[str, float] = {status: 0 for status in unfinished}
    oldest = None
    rows = (
        ReportRun.objects.filter(status__in=unfinished)
        .values("status")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
        .order_by()
    )
    for row in rows:
        backlog[row["status"]] = row["count"]
        if row["status"] == ReportRun.Status.QUEUED:
            oldest = row["oldest"]
    backlog["oldest_queued_seconds"] = (now - oldest).total_seconds() if oldest else 0.0
    return backlog
