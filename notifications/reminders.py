"""The reminder kinds: a registry of finder functions.

A finder takes the sweep's `SweepData` (everything loaded once, with a fixed number of
queries however large the cohorts are) and yields `Reminder`s: who, what kind, about which
subject, for which period, and what to say. The sweep (services.reminders_sweep) records
them in the reminder log, whose unique constraint makes each go out exactly once.

Add a kind: write a finder and decorate it with `@register(Kind.X)`.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.urls import NoReverseMatch, reverse

from accounts.models import User
from cohorts.models import Cohort, Membership, MentorAssignment
from cohorts.schedule import DueDates, WeekWindow, current_week_number, week_window
from cohorts.selectors import due_dates
from curriculum.models import CapstoneDeliverable, Objective, Week
from insights.selectors import AtRiskReason, at_risk_in_cohorts
from rubrics.models import PeerAssignment
from submissions.models import Retrospective, WeeklyWork

from .models import FEEDBACK_KINDS, Kind, Notification

APPROACHING_WINDOWS = (("24h", datetime.timedelta(hours=24)), ("48h", datetime.timedelta(hours=48)))
OVERDUE_LOOKBACK = datetime.timedelta(days=7)
PEER_REVIEW_NOTICE = datetime.timedelta(hours=24)
MAX_COURSE_WEEKS = 60  # cohorts that started longer ago than this are finished
TITLE_QUOTE_LIMIT = 100  # a deliverable's title (up to 300 characters) quoted in a reminder's title
UNREAD_FEEDBACK_LISTED = 10  # unread feedback notifications named in a weekly digest; the rest are counted


@dataclass(frozen=True)
class Reminder:
    recipient: User
    kind: str
    subject_key: str
    period_key: str
    title: str
    body: str
    url: str = ""
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ReminderKind:
    kind: str
    find: Callable[["SweepData"], Iterable[Reminder]]

    @property
    def label(self) -> str:
        return Kind(self.kind).label


REGISTRY: dict[str, ReminderKind] = {}


def register(kind: str) -> Callable:
    def decorator(find: Callable[["SweepData"], Iterable[Reminder]]) -> Callable:
        REGISTRY[kind] = ReminderKind(kind=kind, find=find)
        return find

    return decorator


def registered_kinds() -> list[ReminderKind]:
    return list(REGISTRY.values())


def _format_instant(moment: datetime.datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({zone})"


def _path(name: str, fallback: str = "/", **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


def _week_path(cohort: Cohort, number: int) -> str:
    return _path(
        "submissions:open_week",
        fallback=_path("curriculum:week", slug=cohort.course.slug, number=number),
        slug=cohort.slug,
        number=number,
    )


def _deliverable_path(cohort: Cohort, deliverable: CapstoneDeliverable) -> str:
    return _path(
        "submissions:open_deliverable",
        fallback=_week_path(cohort, deliverable.due_week.number),
        slug=cohort.slug,
        deliverable_id=deliverable.pk,
    )


def _where_you_are(moment: datetime.datetime, cohort: Cohort, student: User) -> str:
    """A sentence giving the instant in the student's time zone, when it is not the cohort's."""
    if student.time_zone == cohort.time_zone:
        return ""
    return f" That is {_format_instant(moment, student.time_zone)} where you are."


def _quoted(title: str) -> str:
    """A title in quotes, shortened so that the sentence around it fits a reminder's title."""
    if len(title) > TITLE_QUOTE_LIMIT:
        title = title[: TITLE_QUOTE_LIMIT - 1].rstrip() + "…"
    return f"“{title}”"


def _clip(title: str, limit: int = 200) -> str:
    """A reminder title that fits its column (names can be long)."""
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _utc_key(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%MZ")


class WorkRow(NamedTuple):
    """One weekly or capstone work as the finders read it: a tuple, not a model instance (a
    sweep reads every work of a batch's students, and instances cost many times the memory)."""

    pk: int
    cohort_id: int
    student_id: int
    week_id: int | None
    number: int | None  # the week's number (None for a capstone deliverable)
    deliverable_id: int | None
    state: str
    revision_id: int | None  # the latest revision
    revision_number: int | None
    submitted_at: datetime.datetime | None

    @property
    def state_label(self) -> str:
        return WeeklyWork.State(self.state).label


@dataclass
class MentorDigest:
    """A mentor's weekly digest, gathered over the batches that hold their students: lines
    keyed by the student's e-mail so that the digest lists them in that order."""

    cohort: Cohort
    week: Week
    mentor: User
    progress: list[tuple[str, str]] = field(default_factory=list)
    queue: list[tuple[str, int, str]] = field(default_factory=list)
    at_risk: list[tuple[str, str]] = field(default_factory=list)


def unread_feedback_lines(user_ids: list[int]) -> dict[int, list[str]]:
    """user id → the titles of their newest unread feedback notifications (up to
    UNREAD_FEEDBACK_LISTED, then “and N more”), for the weekly digest. One query, however
    many each person has (a window function keeps the newest per person in SQL)."""
    if not user_ids:
        return {}
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True, kind__in=FEEDBACK_KINDS)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("recipient_id")], order_by=[F("created_at").desc(), F("pk").desc()]
            ),
            unread=Window(Count("pk"), partition_by=[F("recipient_id")]),
        )
        .filter(rank__lte=UNREAD_FEEDBACK_LISTED)
        .order_by("recipient_id", "rank")
        .values_list("recipient_id", "title", "unread")
    )
    lines: dict[int, list[str]] = defaultdict(list)
    unread: dict[int, int] = {}
    for recipient_id, title, count in rows:
        lines[recipient_id].append(title)
        unread[recipient_id] = count
    for recipient_id, count in unread.items():
        if count > UNREAD_FEEDBACK_LISTED:
            lines[recipient_id].append(f"and {count - UNREAD_FEEDBACK_LISTED} more")
    return dict(lines)


class Sweep:
    """What every batch of one sweep shares: the running cohorts, their weeks and capstone
    deliverables (four queries, once per sweep, however many students), and the mentors'
    digests gathered over the batches. `batches()` yields the sweep's `SweepData`, one batch
    of students at a time, so that memory follows the batch size, not the cohorts' size."""

    def __init__(self, now: datetime.datetime, *, batch_size: int | None = None) -> None:
        self.now = now
        self.batch_size = batch_size or settings.REMINDERS_SWEEP_BATCH
        self.mentor_digests: dict[tuple[int, int], MentorDigest] = {}
        self._paths: dict[tuple[str, int, int], str] = {}

    def week_path(self, cohort: Cohort, number: int) -> str:
        """`_week_path`, reversed once per sweep: every student of a cohort is linked to the
        same few weeks, and 3,698 students' reminders called reverse() 44,000 times for them
        (half of finding's time under cProfile)."""
        key = ("week", cohort.pk, number)
        if key not in self._paths:
            self._paths[key] = _week_path(cohort, number)
        return self._paths[key]

    def deliverable_path(self, cohort: Cohort, deliverable: CapstoneDeliverable) -> str:
        """`_deliverable_path`, reversed once per sweep (as `week_path`)."""
        key = ("deliverable", cohort.pk, deliverable.pk)
        if key not in self._paths:
            self._paths[key] = _deliverable_path(cohort, deliverable)
        return self._paths[key]

    @cached_property
    def cohorts(self) -> list[Cohort]:
        """Cohorts running now, or that started up to a week ago (for overdue work). One query."""
        today = self.now.date()
        candidates = (
            Cohort.objects.select_related("course")
            .annotate(week_count=Count("course__weeks"))
            .filter(
                start_date__lte=today + datetime.timedelta(days=2),
                start_date__gte=today - datetime.timedelta(weeks=MAX_COURSE_WEEKS + 2),
            )
        )
        running = []
        for cohort in candidates:
            if cohort.week_count == 0:
                continue
            last_due = week_window(cohort, cohort.week_count).due_at
            if last_due + OVERDUE_LOOKBACK >= self.now:
                running.append(cohort)
        return running

    @cached_property
    def cohort_ids(self) -> list[int]:
        return [cohort.pk for cohort in self.cohorts]

    @cached_property
    def weeks(self) -> dict[tuple[int, int], Week]:
        """(course id, number) → week with its objectives. Two queries."""
        course_ids = {cohort.course_id for cohort in self.cohorts}
        objectives = Objective.objects.select_related("bloom_level").order_by("order")
        weeks = Week.objects.filter(course_id__in=course_ids).prefetch_related(
            Prefetch("objectives", queryset=objectives)
        )
        return {(week.course_id, week.number): week for week in weeks}

    @cached_property
    def deliverables(self) -> dict[int, CapstoneDeliverable]:
        """The running courses' capstone deliverables by id, in project and deliverable order. One query."""
        course_ids = {cohort.course_id for cohort in self.cohorts}
        deliverables = (
            CapstoneDeliverable.objects.filter(project__course_id__in=course_ids)
            .select_related("project", "due_week")
            .order_by("project__number", "order")
        )
        return {deliverable.pk: deliverable for deliverable in deliverables}

    @cached_property
    def deliverables_due(self) -> dict[tuple[int, int], list[CapstoneDeliverable]]:
        """(course id, due-week number) → the capstone deliverables due that week, in project
        and deliverable order."""
        result: dict[tuple[int, int], list[CapstoneDeliverable]] = defaultdict(list)
        for deliverable in self.deliverables.values():
            result[(deliverable.project.course_id, deliverable.due_week.number)].append(deliverable)
        return result

    def batches(self) -> Iterator["SweepData"]:
        """The running cohorts' active students, `batch_size` memberships at a time (keyset
        by membership id: one query per batch), then a last batch without students in which
        the finders emit what they gathered over all the batches (the mentors' digests)."""
        if self.cohorts:
            memberships = (
                Membership.objects.filter(cohort_id__in=self.cohort_ids, user__is_active=True)
                .students()
                .select_related("user")
                .order_by("pk")
            )
            after = 0
            while True:
                batch = list(memberships.filter(pk__gt=after)[: self.batch_size])
                if batch:
                    yield SweepData(self, batch)
                    after = batch[-1].pk
                if len(batch) < self.batch_size:
                    break
        yield SweepData(self, [], final=True)


class SweepData:
    """What the finders read for one batch of students: their works (as tuples), due dates,
    retrospectives, mentors and peer reviews, each loaded lazily with one query for the whole
    batch, plus what the sweep shares (`Sweep`). A student in two running cohorts is two
    memberships, possibly in two batches: each batch reads only its own (cohort, student) pairs."""

    def __init__(self, sweep: Sweep, memberships: list[Membership], *, final: bool = False) -> None:
        self.sweep = sweep
        self.now = sweep.now
        self.final = final
        self.students: dict[int, list[User]] = defaultdict(list)  # cohort id → students, by e-mail
        for membership in sorted(memberships, key=lambda m: (m.cohort_id, m.user.email)):
            self.students[membership.cohort_id].append(membership.user)
        self.student_by_id = {(m.cohort_id, m.user_id): m.user for m in memberships}
        self.student_ids = sorted({m.user_id for m in memberships})

    @property
    def cohorts(self) -> list[Cohort]:
        return self.sweep.cohorts

    @property
    def weeks(self) -> dict[tuple[int, int], Week]:
        return self.sweep.weeks

    def _ours(self, cohort_id: int, student_id: int) -> bool:
        return (cohort_id, student_id) in self.student_by_id

    @cached_property
    def assignments(self) -> list[MentorAssignment]:
        """The batch's students' active mentors. One query."""
        if not self.student_ids:
            return []
        assignments = (
            MentorAssignment.objects.filter(
                cohort_id__in=self.sweep.cohort_ids, student_id__in=self.student_ids, mentor__is_active=True
            )
            .select_related("mentor")
            .order_by("mentor__email")
        )
        return [a for a in assignments if self._ours(a.cohort_id, a.student_id)]

    @cached_property
    def mentors_of(self) -> dict[tuple[int, int], list[User]]:
        result: dict[tuple[int, int], list[User]] = defaultdict(list)
        for assignment in self.assignments:
            result[(assignment.cohort_id, assignment.student_id)].append(assignment.mentor)
        return result

    @cached_property
    def due_dates(self) -> DueDates:
        """The batch's due dates in the running cohorts, extensions applied. One query."""
        return due_dates(cohorts=self.cohorts, student_ids=self.student_ids)

    @cached_property
    def _works(self) -> tuple[dict[tuple[int, int, int], WorkRow], dict[tuple[int, int, int], WorkRow]]:
        """The batch's weekly works by (cohort id, student id, week number) and capstone works
        by (cohort id, student id, deliverable id). One query, tuples only."""
        weekly: dict[tuple[int, int, int], WorkRow] = {}
        capstone: dict[tuple[int, int, int], WorkRow] = {}
        if not self.student_ids:
            return weekly, capstone
        rows = (
            WeeklyWork.objects.filter(cohort_id__in=self.sweep.cohort_ids, student_id__in=self.student_ids)
            .order_by()
            .values_list(
                "pk",
                "cohort_id",
                "student_id",
                "week_id",
                "week__number",
                "deliverable_id",
                "state",
                "latest_revision_id",
                "latest_revision__number",
                "latest_revision__submitted_at",
            )
        )
        for row in rows:
            work = WorkRow(*row)
            if not self._ours(work.cohort_id, work.student_id):
                continue
            if work.week_id is not None:
                weekly[(work.cohort_id, work.student_id, work.number)] = work
            else:
                capstone[(work.cohort_id, work.student_id, work.deliverable_id)] = work
        return weekly, capstone

    @property
    def works(self) -> dict[tuple[int, int, int], WorkRow]:
        """(cohort id, student id, week number) → the batch's weekly work."""
        return self._works[0]

    @property
    def deliverable_works(self) -> dict[tuple[int, int, int], WorkRow]:
        """(cohort id, student id, deliverable id) → the batch's capstone work."""
        return self._works[1]

    @cached_property
    def works_by_student(self) -> dict[tuple[int, int], list[tuple[int, WorkRow]]]:
        result: dict[tuple[int, int], list[tuple[int, WorkRow]]] = defaultdict(list)
        for (cohort_id, student_id, number), work in sorted(self.works.items()):
            result[(cohort_id, student_id)].append((number, work))
        return result

    @cached_property
    def deliverable_works_by_student(self) -> dict[tuple[int, int], list[WorkRow]]:
        result: dict[tuple[int, int], list[WorkRow]] = defaultdict(list)
        for (cohort_id, student_id, _), work in sorted(self.deliverable_works.items()):
            result[(cohort_id, student_id)].append(work)
        return result

    def deliverable(self, work: WorkRow) -> CapstoneDeliverable:
        return self.sweep.deliverables[work.deliverable_id]

    def works_awaiting_review(self) -> Iterator[tuple[int, int, str, WorkRow]]:
        """(cohort id, student id, what it is, work) for every submitted week and capstone
        deliverable of the batch waiting for a mentor's review."""
        for (cohort_id, student_id, number), work in self.works.items():
            if work.state in WeeklyWork.AWAITING_REVIEW_STATES and work.revision_id is not None:
                yield cohort_id, student_id, f"week {number}", work
        for (cohort_id, student_id, _), work in self.deliverable_works.items():
            if work.state in WeeklyWork.AWAITING_REVIEW_STATES and work.revision_id is not None:
                yield cohort_id, student_id, f"capstone deliverable {_quoted(self.deliverable(work).title)}", work

    def deliverables_due_in(self, cohort: Cohort, number: int) -> list[CapstoneDeliverable]:
        return self.sweep.deliverables_due.get((cohort.course_id, number), [])

    def deliverable_submitted(self, cohort: Cohort, student: User, deliverable: CapstoneDeliverable) -> bool:
        return _submitted(self.deliverable_works.get((cohort.pk, student.pk, deliverable.pk)))

    @cached_property
    def retrospectives_done(self) -> set[tuple[int, int, int]]:
        """(cohort id, student id, week id) of the batch's retrospectives done (all three fields). One query."""
        if not self.student_ids:
            return set()
        rows = (
            Retrospective.objects.filter(cohort_id__in=self.sweep.cohort_ids, student_id__in=self.student_ids)
            .done()
            .values_list("cohort_id", "student_id", "week_id")
        )
        return {row for row in rows if self._ours(row[0], row[1])}

    @cached_property
    def unread_feedback(self) -> dict[int, list[str]]:
        """The batch's students' unread feedback notifications, as digest lines. One query."""
        return unread_feedback_lines(self.student_ids)

    @cached_property
    def at_risk(self) -> dict[int, dict[int, list[AtRiskReason]]]:
        """Cohort id → the batch's student id → why they are at risk (the insights rules). Eight queries."""
        if not self.student_ids:
            return {}
        return at_risk_in_cohorts(self.cohorts, student_ids=self.student_ids, now=self.now)

    @cached_property
    def open_peer_assignments(self) -> list[PeerAssignment]:
        """Peer reviews the batch's students have not done yet, due within a day or overdue by
        up to a week (reviewers are students of the cohort). One query."""
        if not self.student_ids:
            return []
        assignments = (
            PeerAssignment.objects.filter(
                assessment__isnull=True,
                reviewer_id__in=self.student_ids,
                revision__work__cohort_id__in=self.sweep.cohort_ids,
                due_at__gt=self.now - OVERDUE_LOOKBACK,
                due_at__lte=self.now + PEER_REVIEW_NOTICE,
            )
            .select_related("revision__work__cohort", "revision__work__week")
            .order_by("due_at", "pk")
        )
        result = []
        for assignment in assignments:
            reviewer = self.student_by_id.get((assignment.revision.work.cohort_id, assignment.reviewer_id))
            if reviewer is not None:
                assignment.reviewer = reviewer  # the batch's own instance: no query for it
                result.append(assignment)
        return result

    def window(self, cohort: Cohort, student: User, number: int) -> WeekWindow:
        return self.due_dates.window(cohort, number, student.pk)

    def student_week_numbers(self, cohort: Cohort, student: User, around: int) -> set[int]:
        """Week numbers near `around`, plus any week the student has an extension for."""
        numbers = {n for n in (around - 1, around, around + 1) if 1 <= n <= cohort.week_count}
        numbers.update(self.due_dates.extended_weeks(cohort, student.pk))
        return numbers

    def current_number(self, cohort: Cohort) -> int:
        """The open week, clamped to the course (0 before the start)."""
        number = current_week_number(cohort, self.now, cohort.week_count)
        if number is None:
            started = self.now >= week_window(cohort, 1).opens_at
            return cohort.week_count if started else 0
        return number


def _submitted(work: WorkRow | None) -> bool:
    return work is not None and work.state != WeeklyWork.State.DRAFT


@dataclass(frozen=True)
class _DueWeek:
    """One week as it falls due for one student: the effective instant (extension applied)."""

    cohort: Cohort
    student: User
    number: int
    due_at: datetime.datetime

    @property
    def key(self) -> str:
        return _utc_key(self.due_at)

    @property
    def when(self) -> str:
        return _format_instant(self.due_at, self.cohort.time_zone)

    @property
    def elsewhere(self) -> str:
        return _where_you_are(self.due_at, self.cohort, self.student)


def _due_weeks(data: SweepData) -> Iterator[_DueWeek]:
    """Every week near now (and every extended week) of every student of the running cohorts."""
    for cohort in data.cohorts:
        current = data.current_number(cohort)
        for student in data.students.get(cohort.pk, []):
            for number in sorted(data.student_week_numbers(cohort, student, current)):
                due_at = data.window(cohort, student, number).effective_due_at
                yield _DueWeek(cohort=cohort, student=student, number=number, due_at=due_at)


def _unsubmitted_work_due(
    data: SweepData,
    due: _DueWeek,
    *,
    kind: str,
    period_key: str,
    week_title: str,
    deliverable_title: Callable[[str], str],
    rest: str,
    context: dict,
) -> Iterator[Reminder]:
    """A reminder for the week's own work when it is not submitted, and one for each capstone
    deliverable due that week and not submitted; `rest` ends the sentence about either."""
    cohort, student, number = due.cohort, due.student, due.number
    if not _submitted(data.works.get((cohort.pk, student.pk, number))):
        week = data.weeks.get((cohort.course_id, number))
        yield Reminder(
            recipient=student,
            kind=kind,
            subject_key=f"cohort:{cohort.pk}:week:{number}",
            period_key=period_key,
            title=week_title,
            body=f"Your work for week {number}, “{week.title if week else f'Week {number}'}”, {rest}",
            url=data.sweep.week_path(cohort, number),
            context={"cohort": cohort.name, "week": number, **context, "due_at": due.key},
        )
    for deliverable in data.deliverables_due_in(cohort, number):
        if data.deliverable_submitted(cohort, student, deliverable):
            continue
        yield Reminder(
            recipient=student,
            kind=kind,
            subject_key=f"cohort:{cohort.pk}:deliverable:{deliverable.pk}",
            period_key=period_key,
            title=deliverable_title(_quoted(deliverable.title)),
            body=f"{_deliverable_phrase(deliverable)} {rest}",
            url=data.sweep.deliverable_path(cohort, deliverable),
            context=_deliverable_context(cohort, deliverable, number, due.key, **context),
        )


@register(Kind.DEADLINE_APPROACHING)
def deadline_approaching(data: SweepData) -> Iterator[Reminder]:
    """48 h and 24 h before each week's effective due instant (extension applied), for students
    who have not submitted that week yet; and, on the same instants, for each capstone
    deliverable due that week that they have not submitted."""
    for due in _due_weeks(data):
        remaining = due.due_at - data.now
        label = next((name for name, span in APPROACHING_WINDOWS if datetime.timedelta(0) < remaining <= span), None)
        if label is None:
            continue
        hours = 24 if label == "24h" else 48
        yield from _unsubmitted_work_due(
            data,
            due,
            kind=Kind.DEADLINE_APPROACHING,
            period_key=f"{label}:{due.key}",
            week_title=f"Week {due.number} is due in less than {hours} hours",
            deliverable_title=lambda quoted, hours=hours: (
                f"Capstone deliverable {quoted} is due in less than {hours} hours"
            ),
            rest=f"is due {due.when}.{due.elsewhere}",
            context={"window": label},
        )


@register(Kind.OVERDUE)
def overdue(data: SweepData) -> Iterator[Reminder]:
    """Once per week and due instant, when the due instant passed (within the last week)
    and nothing was submitted; likewise for each capstone deliverable due that week."""
    for due in _due_weeks(data):
        if not (datetime.timedelta(0) < data.now - due.due_at <= OVERDUE_LOOKBACK):
            continue
        yield from _unsubmitted_work_due(
            data,
            due,
            kind=Kind.OVERDUE,
            period_key=f"due:{due.key}",
            week_title=f"Week {due.number} is overdue",
            deliverable_title=lambda quoted: f"Capstone deliverable {quoted} is overdue",
            rest=(
                f"was due {due.when} and has not been submitted.{due.elsewhere} "
                "Submit what you have, or ask your instructor for an extension."
            ),
            context={},
        )


def _deliverable_phrase(deliverable: CapstoneDeliverable) -> str:
    project = deliverable.project
    return f"Your capstone deliverable “{deliverable.title}” for project {project.number}, “{project.title}”,"


def _deliverable_label(deliverable: CapstoneDeliverable) -> str:
    return f"Capstone project {deliverable.project.number}, deliverable “{deliverable.title}”"


def _deliverable_context(
    cohort: Cohort, deliverable: CapstoneDeliverable, number: int, due_iso: str, *, window: str | None = None
) -> dict:
    context = {
        "cohort": cohort.name,
        "week": number,
        "project": deliverable.project.title,
        "deliverable": deliverable.title,
        "due_at": due_iso,
    }
    if window is not None:
        context["window"] = window
    return context


@register(Kind.PEER_REVIEW_DUE)
def peer_review_due(data: SweepData) -> Iterator[Reminder]:
    """To the reviewer of an unfinished peer review: once when it is due within 24 hours,
    once more when it is overdue. The author is never named (reviews may be anonymous)."""
    for assignment in data.open_peer_assignments:
        work = assignment.revision.work
        overdue = assignment.due_at <= data.now
        week = f"week {work.week.number}" if work.week else "a capstone deliverable"
        due_text = _format_instant(assignment.due_at, assignment.reviewer.time_zone)
        yield Reminder(
            recipient=assignment.reviewer,
            kind=Kind.PEER_REVIEW_DUE,
            subject_key=f"peer:{assignment.pk}",
            period_key="overdue" if overdue else "24h",
            title=f"Your peer review of {week} is {'overdue' if overdue else 'due within 24 hours'}",
            body=f"A peer review you were assigned in {work.cohort.name} {'was' if overdue else 'is'} due {due_text}.",
            url=_path("rubrics:peer_queue", fallback="/"),
            context={"cohort": work.cohort.name},
        )


@register(Kind.REVIEW_WAITING)
def review_waiting(data: SweepData) -> Iterator[Reminder]:
    """To each assigned mentor, once per revision, when a submission has waited longer than
    the cohort's review deadline."""
    cohorts = {cohort.pk: cohort for cohort in data.cohorts}
    for cohort_id, student_id, what, work in data.works_awaiting_review():
        cohort = cohorts[cohort_id]
        deadline = work.submitted_at + datetime.timedelta(hours=cohort.review_deadline_hours)
        if data.now < deadline:
            continue
        student = data.student_by_id.get((cohort_id, student_id))
        if student is None:
            continue
        for mentor in data.mentors_of.get((cohort_id, student_id), []):
            yield Reminder(
                recipient=mentor,
                kind=Kind.REVIEW_WAITING,
                subject_key=f"work:{work.pk}",
                period_key=f"revision:{work.revision_id}",
                title=_clip(f"{student.display_name}'s {what} has waited over {cohort.review_deadline_hours} hours"),
                body=(
                    f"{student.display_name} submitted revision {work.revision_number} of {what} "
                    f"{_format_instant(work.submitted_at, mentor.time_zone)}; the review deadline of "
                    f"{cohort.name} is {cohort.review_deadline_hours} hours."
                ),
                url=_path("submissions:work", fallback="/", pk=work.pk),
                context={"cohort": cohort.name, "work": what, "student": student.display_name},
            )


@register(Kind.RETROSPECTIVE_MISSING)
def retrospective_missing(data: SweepData) -> Iterator[Reminder]:
    """Once per week, when the work was accepted but the retrospective is not done (retain,
    improve and scale not all written)."""
    cohorts = {cohort.pk: cohort for cohort in data.cohorts}
    for (cohort_id, student_id, number), work in data.works.items():
        if work.state != WeeklyWork.State.ACCEPTED:
            continue
        if (cohort_id, student_id, work.week_id) in data.retrospectives_done:
            continue
        student = data.student_by_id.get((cohort_id, student_id))
        if student is None:
            continue
        yield Reminder(
            recipient=student,
            kind=Kind.RETROSPECTIVE_MISSING,
            subject_key=f"cohort:{cohort_id}:week:{number}",
            period_key="accepted",
            title=f"Write your retrospective for week {number}",
            body=(
                f"Week {number} was accepted. Take ten minutes for the retrospective: what to retain, "
                "what to improve and what to scale."
            ),
            url=_path("submissions:work", fallback="/", pk=work.pk),
            context={"cohort": cohorts[cohort_id].name, "week": number},
        )


@register(Kind.WEEKLY_DIGEST)
def weekly_digest(data: SweepData) -> Iterator[Reminder]:
    """Once per cohort week, when the week opens: students get the week's objectives and
    what is still missing; mentors get their students, the submissions waiting for them and
    which of their students are at risk and why (insights.selectors.at_risk_in_cohorts),
    gathered batch by batch into the sweep's mentor digests and sent after the last batch."""
    if data.final:
        digests = sorted(data.sweep.mentor_digests.values(), key=lambda d: (d.cohort.pk, d.mentor.email))
        unread = unread_feedback_lines(sorted({digest.mentor.pk for digest in digests}))
        for digest in digests:
            yield _mentor_digest(digest, unread.get(digest.mentor.pk))
        return
    for cohort in data.cohorts:
        number = current_week_number(cohort, data.now, cohort.week_count)
        if number is None:
            continue
        week = data.weeks.get((cohort.course_id, number))
        if week is None:
            continue
        for student in data.students.get(cohort.pk, []):
            yield _student_digest(data, cohort, week, student)
        for assignment in data.assignments:
            if assignment.cohort_id == cohort.pk:
                student = data.student_by_id[(cohort.pk, assignment.student_id)]
                digest = data.sweep.mentor_digests.setdefault(
                    (cohort.pk, assignment.mentor_id), MentorDigest(cohort=cohort, week=week, mentor=assignment.mentor)
                )
                _add_to_mentor_digest(data, digest, student)


def _student_digest(data: SweepData, cohort: Cohort, week: Week, student: User) -> Reminder:
    window = data.window(cohort, student, week.number)
    objectives = [
        f"{objective.text} ({objective.bloom_level.name})" if objective.bloom_level else objective.text
        for objective in week.objectives.all()
        if objective.kind == Objective.Kind.OUTCOME
    ]
    missing = []
    if not _submitted(data.works.get((cohort.pk, student.pk, week.number))):
        missing.append(f"Week {week.number} work: not submitted yet")
    missing.extend(
        f"{_deliverable_label(deliverable)} (due with week {week.number}): not submitted yet"
        for deliverable in data.deliverables_due_in(cohort, week.number)
        if not data.deliverable_submitted(cohort, student, deliverable)
    )
    previous = data.works.get((cohort.pk, student.pk, week.number - 1))
    if week.number > 1 and not _submitted(previous):
        missing.append(f"Week {week.number - 1} work: not submitted")
    # A capstone deliverable missed last week matters more than a week's work: say so too.
    missing.extend(
        f"{_deliverable_label(deliverable)} (due with week {week.number - 1}): not submitted"
        for deliverable in data.deliverables_due_in(cohort, week.number - 1)
        if not data.deliverable_submitted(cohort, student, deliverable)
    )
    if (
        previous is not None
        and previous.state == WeeklyWork.State.ACCEPTED
        and (cohort.pk, student.pk, previous.week_id) not in data.retrospectives_done
    ):
        missing.append(f"Week {week.number - 1} retrospective: not done")
    return Reminder(
        recipient=student,
        kind=Kind.WEEKLY_DIGEST,
        subject_key=f"cohort:{cohort.pk}",
        period_key=f"week:{week.number}",
        title=f"Week {week.number}: {week.title}",
        body=(
            f"Week {week.number} is open and due {_format_instant(window.effective_due_at, cohort.time_zone)}."
            f"{_where_you_are(window.effective_due_at, cohort, student)}"
        ),
        url=data.sweep.week_path(cohort, week.number),
        context={
            "sections": [
                {"heading": "This week's objectives", "items": objectives},
                {"heading": "Still missing", "items": missing or ["Nothing: you are up to date."]},
                *_unread_feedback_section(data.unread_feedback.get(student.pk)),
            ]
        },
    )


def _add_to_mentor_digest(data: SweepData, digest: MentorDigest, student: User) -> None:
    """The student's lines in their mentor's digest: this week's state, what waits for review
    and why they are at risk."""
    cohort, number = digest.cohort, digest.week.number
    work = data.works.get((cohort.pk, student.pk, number))
    digest.progress.append((student.email, f"{student.display_name}: {work.state_label if work else 'not started'}"))
    waiting = []
    for week_number, other in data.works_by_student.get((cohort.pk, student.pk), []):
        if other.state in WeeklyWork.AWAITING_REVIEW_STATES:
            waiting.append(f"{student.display_name}, week {week_number}: {other.state_label.lower()}")
    for other in data.deliverable_works_by_student.get((cohort.pk, student.pk), []):
        if other.state in WeeklyWork.AWAITING_REVIEW_STATES:
            waiting.append(
                f"{student.display_name}, {_deliverable_label(data.deliverable(other))}: {other.state_label.lower()}"
            )
    digest.queue.extend((student.email, index, line) for index, line in enumerate(waiting))
    reasons = data.at_risk.get(cohort.pk, {}).get(student.pk)
    if reasons:
        digest.at_risk.append((student.email, f"{student.display_name}: " + "; ".join(str(r) for r in reasons)))


def _unread_feedback_section(lines: list[str] | None) -> list[dict]:
    return [{"heading": "Unread feedback notifications", "items": lines}] if lines else []


def _mentor_digest(digest: MentorDigest, unread_feedback: list[str] | None = None) -> Reminder:
    cohort, week, mentor = digest.cohort, digest.week, digest.mentor
    queue = [line for *_, line in sorted(digest.queue)]
    progress = [line for _, line in sorted(digest.progress)]
    at_risk = [line for _, line in sorted(digest.at_risk)]
    return Reminder(
        recipient=mentor,
        kind=Kind.WEEKLY_DIGEST,
        subject_key=f"cohort:{cohort.pk}",
        period_key=f"week:{week.number}",
        title=f"{cohort.name}, week {week.number}: your students",
        body=f"Week {week.number}, “{week.title}”, is open. {len(queue)} submission(s) wait for your review.",
        url=_path("submissions:dashboard_cohort", fallback=_path("cohorts:detail", slug=cohort.slug), slug=cohort.slug),
        context={
            "sections": [
                {"heading": "Waiting for your review", "items": queue or ["Nothing waiting."]},
                {"heading": f"Week {week.number} progress", "items": progress},
                {"heading": "At risk", "items": at_risk or ["Nobody: none of your students meets an at-risk rule."]},
                *_unread_feedback_section(unread_feedback),
            ]
        },
    )
