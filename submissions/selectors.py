"""Reads for the dashboard, the workspace, revisions and diffs. Each page's data comes
from a fixed number of queries, whatever the number of weeks, revisions or artifacts."""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from zoneinfo import ZoneInfo

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.schedule import WeekWindow, current_week_number, weeks_begun
from cohorts.selectors import due_dates, due_window
from curriculum.models import CapstoneDeliverable, Objective, QualityGate, Week
from curriculum.selectors import course_capstones, week_outcomes, week_quality_gates

from .content import DECISION_FIELDS, RevisionDiff, diff_snapshots, normalised
from .models import (
    Artifact,
    ImproveItemStatus,
    Retrospective,
    Revision,
    RiskEntry,
    WeeklyWork,
    improve_items_of,
    work_status,
)

# --- Small pure helpers ------------------------------------------------------------------


def required_evidence(work: WeeklyWork) -> list[str]:
    """A week's required evidence is its lab's expected evidence; a capstone deliverable
    requires evidence for the deliverable itself."""
    if work.week_id:
        lab = getattr(work.week, "lab", None)
        return lab.evidence_list if lab else []
    return [work.deliverable.title]


def completeness(required: list[str], covered: set[str]) -> int | None:
    """Required evidence present / required, as a whole percentage (None: nothing required)."""
    if not required:
        return None
    return round(100 * sum(1 for item in required if item in covered) / len(required))


def missing_items(
    *, content: dict, required: list[str], covered: set[str], retro_done: bool | None, is_capstone: bool
) -> list[str]:
    """What still stands between the draft and a complete submission."""
    c = normalised(content)
    missing = []
    if is_capstone and not c["deliverable"]["text"].strip():
        missing.append("Deliverable write-up")
    if not is_capstone and not c["concept"]["text"].strip():
        missing.append("Concept analysis")
    if not is_capstone and not c["lab"]["text"].strip():
        missing.append("Lab report")
    gates = list(c["lab"]["gates"].values())
    if not is_capstone and (not gates or any(g.get("status", "not_run") == "not_run" for g in gates)):
        missing.append("Quality gates not yet run")
    if not all(c["decision"].get(key, "").strip() for key, _ in DECISION_FIELDS):
        missing.append("Decision record")
    if not c["dossier"]["criteria"]:
        missing.append("Success criteria")
    missing.extend(f"Evidence: {item}" for item in required if item not in covered)
    if retro_done is False:
        missing.append("Retrospective")
    return missing


@dataclass
class RiskTrendPoint:
    week: int
    open: int
    closed: int  # closed during this week


def risk_trend(entries: list[tuple[int, int | None]], week_count: int) -> list[RiskTrendPoint]:
    """From (week opened, week closed) pairs: entries open at the end of each week and
    entries closed during it."""
    points = []
    for n in range(1, week_count + 1):
        open_count = sum(1 for opened, closed in entries if opened <= n and (closed is None or closed > n))
        closed_count = sum(1 for _, closed in entries if closed == n)
        points.append(RiskTrendPoint(week=n, open=open_count, closed=closed_count))
    return points


def risk_chart(trend: list[RiskTrendPoint], week_count: int | None = None) -> dict:
    """Geometry for the inline SVG bar chart (two bars per week), computed here so the
    template only places numbers. The axis always spans `week_count` weeks, so the chart keeps
    its scale as the course goes on; weeks not yet begun have no bars."""
    top = max([1] + [max(p.open, p.closed) for p in trend])
    width, height, base, left = 760, 170, 140, 34
    slot = (width - left) / max(1, week_count or len(trend))
    bar_w = max(2.0, slot / 2 - 2)
    bars = []
    for index, p in enumerate(trend):
        x = left + index * slot
        open_h = (base - 20) * p.open / top
        closed_h = (base - 20) * p.closed / top
        bars.append(
            {
                "week": p.week,
                "open": p.open,
                "closed": p.closed,
                "x": round(x, 1),
                "x2": round(x + bar_w, 1),
                "w": round(bar_w, 1),
                "open_y": round(base - open_h, 1),
                "open_h": round(open_h, 1),
                "closed_y": round(base - closed_h, 1),
                "closed_h": round(closed_h, 1),
            }
        )
    ticks = [
        {"week": n, "x": round(left + (n - 1) * slot, 1)}
        for n in range(1, (week_count or len(trend)) + 1)
        if n == 1 or n % 4 == 0
    ]
    busiest = max(trend, key=lambda p: p.open, default=None)
    total_closed = sum(p.closed for p in trend)
    summary = (
        f"Most open entries: {busiest.open} in week {busiest.week}; {total_closed} closed in total."
        if busiest and busiest.open
        else f"No open entries; {total_closed} closed in total."
    )
    return {
        "width": width,
        "height": height,
        "base": base,
        "label_y": base + 18,
        "max": top,
        "bars": bars,
        "ticks": ticks,
        "summary": summary,
    }


# --- Dashboard ---------------------------------------------------------------------------


@dataclass
class GridRow:
    label: str
    number: int | None
    title: str
    due_at: datetime.datetime
    work: WeeklyWork | None
    state: str
    is_late: bool  # the latest revision was submitted after the due date
    is_overdue: bool  # nothing submitted yet and the due date (with any extension) has passed
    completeness: int | None
    retro_done: bool | None
    week: Week | None = None
    deliverable: object | None = None


@dataclass
class Dashboard:
    cohort: Cohort
    student: User
    zone: ZoneInfo
    current: GridRow | None
    current_objectives: list[Objective]
    current_missing: list[str]
    weeks: list[GridRow]
    capstones: list[tuple[object, list[GridRow]]]
    trend: list[RiskTrendPoint]
    chart: dict
    other_cohorts: list[Cohort] = field(default_factory=list)


def existing_work(
    student: User, cohort: Cohort, *, week: Week | None = None, deliverable: CapstoneDeliverable | None = None
) -> WeeklyWork | None:
    """The student's work for the week or capstone deliverable, if they have started it."""
    return WeeklyWork.objects.filter(student=student, cohort=cohort, week=week, deliverable=deliverable).first()


def student_cohorts(user: User) -> list[Cohort]:
    return list(
        Cohort.objects.filter(pk__in=Membership.objects.of(user=user).students().values("cohort_id"))
        .select_related("course")
        .order_by("-start_date")
    )


def dashboard_for(student: User, cohort: Cohort, now: datetime.datetime | None = None) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries:
    weeks+labs, capstone projects, deliverables, extensions, works (+ latest revision),
    evidence coverage, retrospectives, risk entries, current week objectives."""
    now = now or timezone.now()
    zone = ZoneInfo(student.time_zone or cohort.time_zone)
    weeks = list(Week.objects.for_course(cohort.course).select_related("lab"))
    projects = course_capstones(cohort.course)
    due_dates_of_student = due_dates(cohort=cohort, student_ids=[student.pk])
    works = list(
        WeeklyWork.objects.filter(student=student, cohort=cohort)
        .select_related("latest_revision")
        .defer("latest_revision__content")
    )
    by_week = {w.week_id: w for w in works if w.week_id}
    by_deliverable = {w.deliverable_id: w for w in works if w.deliverable_id}
    covered: dict[int, set[str]] = {}
    for work_id, item in (
        Artifact.objects.attached()
        .filter(work__student=student, work__cohort=cohort)
        .exclude(evidence_item="")
        .values_list("work_id", "evidence_item")
        .order_by()
        .distinct()
    ):
        covered.setdefault(work_id, set()).add(item)
    retros = {
        r.week_id: r
        for r in Retrospective.objects.filter(student=student, cohort=cohort).only(
            "week_id", "retain", "improve", "scale"
        )
    }
    risk_pairs = [
        (opened, closed)
        for opened, closed in RiskEntry.objects.filter(student=student, cohort=cohort).values_list(
            "week_opened__number", "week_closed__number"
        )
    ]

    def row(label, number, title, due_week, work, required, retro_done, **extra) -> GridRow:
        rev = work.latest_revision if work else None
        due = due_dates_of_student.window(cohort, due_week.number, student.pk)
        state = work.display_state if work else None
        status = work_status(display_state=state, submitted=rev is not None, past_due=due.is_late(now))
        return GridRow(
            label=label,
            number=number,
            title=title,
            due_at=due.effective_due_at.astimezone(zone),
            work=work,
            state=state or "not_started",
            is_late=bool(rev and rev.is_late),
            is_overdue=status.key == "missing",  # the gradebook's "Missing"
            completeness=completeness(required, covered.get(work.pk, set()) if work else set()),
            retro_done=retro_done,
            **extra,
        )

    week_rows = []
    for week in weeks:
        lab = getattr(week, "lab", None)
        retro = retros.get(week.pk)
        week_rows.append(
            row(
                f"Week {week.number}",
                week.number,
                week.title,
                week,
                by_week.get(week.pk),
                lab.evidence_list if lab else [],
                bool(retro and retro.is_done),
                week=week,
            )
        )
    capstone_rows = []
    for project in projects:
        rows = [
            row(
                f"Project {project.number}.{d.order}",
                None,
                d.title,
                d.due_week,
                by_deliverable.get(d.pk),
                [d.title],
                None,
                deliverable=d,
            )
            for d in project.deliverables.all()
        ]
        capstone_rows.append((project, rows))

    current_number = current_week_number(cohort, now, len(weeks))
    current = week_rows[current_number - 1] if current_number else None
    objectives: list[Objective] = []
    missing: list[str] = []
    if current:
        objectives = list(
            Objective.objects.filter(week=current.week, kind=Objective.Kind.OUTCOME)
            .select_related("bloom_level")
            .order_by("order")
        )
        work = current.work
        lab = getattr(current.week, "lab", None)
        missing = missing_items(
            content=work.content if work else {},
            required=lab.evidence_list if lab else [],
            covered=covered.get(work.pk, set()) if work else set(),
            retro_done=current.retro_done,
            is_capstone=False,
        )
    # Up to the weeks that have begun, and further if the student logged in a later week's
    # workspace ahead of the calendar, so no entry is left off the chart.
    logged_up_to = max((week for pair in risk_pairs for week in pair if week is not None), default=0)
    trend = risk_trend(risk_pairs, max(weeks_begun(cohort, now, len(weeks)), logged_up_to))
    return Dashboard(
        cohort=cohort,
        student=student,
        zone=zone,
        current=current,
        current_objectives=objectives,
        current_missing=missing,
        weeks=week_rows,
        capstones=capstone_rows,
        trend=trend,
        chart=risk_chart(trend, len(weeks)),
    )


# --- Workspace ---------------------------------------------------------------------------


# What a row of the works list shows (serializers.work_list_item turns one into WorkOutput's shape).
WORK_LIST_VALUES = (
    "pk",
    "state",
    "draft_version",
    "draft_saved_at",
    "updated_at",
    "deliverable_id",
    "student_id",
    "student__name",
    "student__email",
    "cohort__slug",
    "week__number",
    "week__title",
    "deliverable__title",
    "latest_revision__number",
)


def works_listed_for(user: User, *, cohort_slug: str | None = None, state: str | None = None):
    """The works the user may open (WeeklyWork.objects.visible_to), optionally of one cohort
    or in one state, as the values a list row shows (WORK_LIST_VALUES; newest first when
    ordered by -pk).

    Values, not model rows: a page of 50 works made some 250 model instances (work, student,
    cohort, week, revision) and went through nested serializers field by field, which cost
    more than the query."""
    works = WeeklyWork.objects.visible_to(user)
    if cohort_slug:
        works = works.filter(cohort__slug=cohort_slug)
    if state:
        works = works.filter(state=state)
    return works.values(*WORK_LIST_VALUES)


def work_artifacts(work: WeeklyWork):
    """The evidence attached to the draft now, oldest first, with its preview (a join, so
    the workspace shows previews without a query of its own)."""
    return work.artifacts.attached().select_related("preview").order_by("created_at", "pk")


def work_artifact_get(work: WeeklyWork, pk: int, *, attached: bool = False, file: bool = False) -> Artifact:
    """One artifact of the work (only one still attached to the draft, or only a stored file,
    when asked); 404 otherwise."""
    artifacts = work.artifacts.attached() if attached else work.artifacts.all()
    if file:
        artifacts = artifacts.filter(kind=Artifact.Kind.FILE)
    artifact = get_object_or_404(artifacts, pk=pk)
    artifact.work = work
    return artifact


def work_revisions(work: WeeklyWork):
    """The work's revisions without their frozen content, oldest first."""
    return work.revisions.select_related("submitted_by").defer("content").order_by("number")


def revisions_to_compare(
    work: WeeklyWork, *, from_number: int | None = None, to_number: int | None = None
) -> tuple[Revision, Revision]:
    """The two revisions a diff compares: `to` defaults to the latest, `from` to the one
    before `to` (or `to` itself when it is the first). 404 when either does not exist."""
    available = list(work.revisions.order_by("number").values_list("number", flat=True))
    if not available:
        raise Http404("This work has no revisions yet.")
    to_number = to_number if to_number is not None else available[-1]
    if from_number is None:
        earlier = [n for n in available if n < to_number]
        from_number = earlier[-1] if earlier else to_number
    found = {r.number: r for r in work.revisions.filter(number__in={from_number, to_number})}
    if from_number not in found or to_number not in found:
        raise Http404("No such revision.")
    return found[from_number], found[to_number]


def risk_log(work: WeeklyWork):
    """The student's defect and risk log in the work's cohort, by the week each was opened."""
    return (
        RiskEntry.objects.filter(student_id=work.student_id, cohort_id=work.cohort_id)
        .select_related("week_opened", "week_closed")
        .order_by("week_opened__number", "pk")
    )


def risk_entry_get(work: WeeklyWork, pk: int) -> RiskEntry:
    """An entry of the log the work belongs to; 404 for any other."""
    return get_object_or_404(risk_log(work), pk=pk)


def work_retrospective(work: WeeklyWork) -> Retrospective | None:
    """The retrospective of the work's week, if written (capstone work has none)."""
    if not work.week_id:
        return None
    return Retrospective.objects.filter(
        student_id=work.student_id, cohort_id=work.cohort_id, week_id=work.week_id
    ).first()


@dataclass
class Workspace:
    work: WeeklyWork
    window: WeekWindow
    zone: ZoneInfo
    week: Week
    objectives: list[Objective]
    gates: list[QualityGate]
    required: list[str]
    artifacts: list[Artifact]
    revisions: list[Revision]
    risks: list[RiskEntry]
    retrospective: Retrospective | None
    completeness: int | None
    covered: set[str]
    missing: list[str]
    improve_items: list["ImproveItem"] = field(default_factory=list)


def workspace_for(work: WeeklyWork, viewer: User) -> Workspace:
    """The workspace page's data for a work already fetched by work_get_for_user:
    objectives, quality gates, attached artifacts, revisions, risk entries, retrospective,
    extension, and the improve items carried into the week (nine queries; seven for week 1 and
    capstone deliverables, which have no week before)."""
    week = work.due_week
    objectives = week_outcomes(week)
    gates = week_quality_gates(week) if work.week_id else []
    artifacts = list(work_artifacts(work))
    revisions = list(work_revisions(work).order_by("-number"))
    risks = list(risk_log(work))
    retro = work_retrospective(work)
    window = due_window(cohort=work.cohort, student_id=work.student_id, number=week.number)
    required = required_evidence(work)
    covered = {a.evidence_item for a in artifacts if a.evidence_item}
    return Workspace(
        work=work,
        window=window,
        zone=ZoneInfo(viewer.time_zone or work.cohort.time_zone),
        week=week,
        objectives=objectives,
        gates=gates,
        required=required,
        artifacts=artifacts,
        revisions=revisions,
        risks=risks,
        retrospective=retro,
        completeness=completeness(required, covered),
        covered=covered,
        improve_items=improve_items_for_work(work),
        missing=missing_items(
            content=work.content,
            required=required,
            covered=covered,
            retro_done=(bool(retro and retro.is_done) if work.week_id else None),
            is_capstone=work.is_capstone,
        ),
    )


def build_snapshot(
    work: WeeklyWork,
    *,
    objectives: list[Objective],
    gates: list[QualityGate],
    retro: Retrospective | None,
    risks: list[RiskEntry],
    artifacts: list[Artifact],
) -> dict:
    """The self-contained document a revision freezes (also used to show a draft read-only):
    the sections plus the texts they refer to, the retrospective, the week's risk log and
    the artifacts' metadata."""
    snapshot = normalised(work.content)
    snapshot["target"] = work.target_label
    snapshot["is_capstone"] = work.is_capstone
    if work.is_capstone:
        snapshot["deliverable_title"] = work.deliverable.title
    snapshot["objective_texts"] = {str(o.pk): o.text for o in objectives}
    snapshot["gate_texts"] = {str(g.pk): g.text for g in gates}
    if work.week_id:
        number = work.week.number
        snapshot["retrospective"] = {
            "retain": retro.retain if retro else "",
            "improve": retro.improve if retro else "",
            "scale": retro.scale if retro else "",
        }
        snapshot["risks"] = [
            {
                "id": r.pk,
                "kind": r.kind,
                "title": r.title,
                "severity": r.severity,
                "status": "closed" if r.week_closed and r.week_closed.number <= number else "open",
                "week_opened": r.week_opened.number,
                "week_closed": r.week_closed.number if r.week_closed and r.week_closed.number <= number else None,
            }
            for r in risks
            if r.week_opened.number <= number and (r.week_closed is None or r.week_closed.number >= number)
        ]
    snapshot["artifacts"] = [
        {
            "id": a.pk,
            "kind": a.kind,
            "name": a.label,
            "sha256": a.sha256,
            "size": a.size,
            "content_type": a.content_type,
            "proves": a.proves,
            "evidence_item": a.evidence_item,
        }
        for a in artifacts
    ]
    return snapshot


def workspace_snapshot(ws: "Workspace") -> dict:
    return build_snapshot(
        ws.work,
        objectives=ws.objectives,
        gates=ws.gates,
        retro=ws.retrospective,
        risks=ws.risks,
        artifacts=ws.artifacts,
    )


# --- Revisions, for pages and other apps --------------------------------------------------


def revision_diff(a: Revision, b: Revision) -> RevisionDiff:
    """Per-section differences from revision a to revision b, and artifacts added/removed."""
    return diff_snapshots(a.content, b.content)


# --- Improve items --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImproveItem:
    """One improve item shown in a week: written in `origin_week`'s retrospective (the week
    before, or earlier when it was carried forward), with the status set in this week, if any."""

    key: str
    text: str
    origin_week: int  # number
    origin_week_id: int
    status: str  # an ImproveItemStatus.Status value, or "" when not set yet
    note: str = ""

    @property
    def carried(self) -> bool:
        return self.status == ImproveItemStatus.Status.CARRIED

    @property
    def status_label(self) -> str:
        return ImproveItemStatus.Status(self.status).label if self.status else "Not set yet"


def improve_items_shown(
    *,
    week_number: int,
    previous_improve: tuple[int, str] | None,
    carried_in: list[tuple[int, int, str, str]],
    statuses: dict[str, tuple[str, str]],
) -> list[ImproveItem]:
    """The one rule for which improve items a week shows, for the workspace, the scoring page,
    the API and the cohort report alike: the items carried forward in the week before
    (`carried_in`: origin week id, origin week number, key, text), then the items of the week
    before's retrospective (`previous_improve`: its week id and improve text), without repeats;
    each with this week's status (`statuses`: key → (status, note))."""
    items: list[ImproveItem] = []
    seen: set[str] = set()
    candidates = [(week_id, number, key, text) for week_id, number, key, text in carried_in]
    if previous_improve is not None:
        week_id, text = previous_improve
        candidates += [(week_id, week_number - 1, key, item) for key, item in improve_items_of(text)]
    for origin_week_id, origin_week, key, text in candidates:
        if key in seen:
            continue
        seen.add(key)
        status, note = statuses.get(key, ("", ""))
        items.append(ImproveItem(key, text, origin_week, origin_week_id, status, note))
    return items


def improve_items_for_work(work: WeeklyWork) -> list[ImproveItem]:
    """The improve items a week's work shows (two queries; none for week 1 or a capstone
    deliverable): the week before's retrospective, and the status rows of the week before
    (what was carried forward) and of this week."""
    if not work.week_id or work.week.number <= 1:
        return []
    number = work.week.number
    previous = (
        Retrospective.objects.filter(
            student_id=work.student_id,
            cohort_id=work.cohort_id,
            week__course_id=work.week.course_id,
            week__number=number - 1,
        )
        .values_list("week_id", "improve")
        .first()
    )
    carried_in: list[tuple[int, int, str, str]] = []
    statuses: dict[str, tuple[str, str]] = {}
    for week_number, origin_id, origin_number, key, text, status, note in (
        ImproveItemStatus.objects.filter(
            student_id=work.student_id,
            cohort_id=work.cohort_id,
            week__course_id=work.week.course_id,
            week__number__in=[number - 1, number],
        )
        .order_by("origin_week__number", "pk")
        .values_list("week__number", "origin_week_id", "origin_week__number", "key", "text", "status", "note")
    ):
        if week_number == number:
            statuses[key] = (status, note)
        elif status == ImproveItemStatus.Status.CARRIED:
            carried_in.append((origin_id, origin_number, key, text))
    return improve_items_shown(week_number=number, previous_improve=previous, carried_in=carried_in, statuses=statuses)


IMPROVE_TALLY_KEYS = ("done", "carried", "dropped", "unset")


# Rows fetched at a time by improve_item_counts' two server-side cursors: what it holds of them
# is bounded by this, not by the number of students.
IMPROVE_ROWS_PER_FETCH = 2000


def improve_item_counts(
    cohort: Cohort, student_ids: list[int], *, through_week: int
) -> Iterator[tuple[int, dict[str, int]]]:
    """(student id, counts) for each of these students who has improve items shown in weeks
    2..`through_week` (the weeks begun), in student id order: how many are done, carried
    forward, dropped or not set yet (keys IMPROVE_TALLY_KEYS), by the same rule as the workspace
    (improve_items_shown). Two queries for any number of students, read ordered by student
    through server-side cursors and merged, so that one student's retrospectives and statuses
    are held at a time: the cohort report totals a whole cohort with this (read into dicts at
    once, 3,334 students' rows took 19 MB, and the build's peak at 33,340 was 190 MiB higher)."""
    if through_week < 2 or not student_ids:
        return
    retros = (
        Retrospective.objects.filter(cohort=cohort, student_id__in=student_ids, week__number__lt=through_week)
        .exclude(improve="")
        .order_by("student_id")
        .values_list("student_id", "week_id", "week__number", "improve")
        .iterator(chunk_size=IMPROVE_ROWS_PER_FETCH)
    )
    statuses = (
        ImproveItemStatus.objects.filter(cohort=cohort, student_id__in=student_ids, week__number__lte=through_week)
        # Within a student, each week's rows keep the order improve_items_shown expects.
        .order_by("student_id", "origin_week__number", "pk")
        .values_list("student_id", "week__number", "origin_week_id", "origin_week__number", "key", "text", "status")
        .iterator(chunk_size=IMPROVE_ROWS_PER_FETCH)
    )
    by_student = [groupby(retros, key=itemgetter(0)), groupby(statuses, key=itemgetter(0))]
    heads = [next(group, None) for group in by_student]
    while heads[0] is not None or heads[1] is not None:
        student_id = min(head[0] for head in heads if head is not None)
        own: list[list[tuple]] = [[], []]
        for index, head in enumerate(heads):
            if head is not None and head[0] == student_id:
                own[index] = list(head[1])
                heads[index] = next(by_student[index], None)
        yield student_id, _improve_counts(own[0], own[1], through_week)


def _improve_counts(retros: list[tuple], statuses: list[tuple], through_week: int) -> dict[str, int]:
    """One student's counts (improve_item_counts) from their retrospectives (student id, week
    id, week number, improve) and status rows (student id, week number, origin week id, origin
    week number, key, text, status)."""
    improve = {number: (week_id, text) for _, week_id, number, text in retros}
    rows: dict[int, list[tuple]] = defaultdict(list)
    for row in statuses:
        rows[row[1]].append(row[2:])
    counts = dict.fromkeys(IMPROVE_TALLY_KEYS, 0)
    for number in range(2, through_week + 1):
        carried_in = [
            (origin_id, origin_number, key, text)
            for origin_id, origin_number, key, text, status in rows.get(number - 1, [])
            if status == ImproveItemStatus.Status.CARRIED
        ]
        shown = improve_items_shown(
            week_number=number,
            previous_improve=improve.get(number - 1),
            carried_in=carried_in,
            statuses={key: (status, "") for _, _, key, _, status in rows.get(number, [])},
        )
        for item in shown:
            counts[item.status or "unset"] += 1
    return counts


def improve_item_tally(cohort: Cohort, student_ids: list[int], *, through_week: int) -> dict[int, dict[str, int]]:
    """improve_item_counts as a dict for every one of these students (zeros for those with no
    items): for a chunk of the cohort report's students, never a whole cohort."""
    tally = {pk: dict.fromkeys(IMPROVE_TALLY_KEYS, 0) for pk in student_ids}
    tally.update(improve_item_counts(cohort, student_ids, through_week=through_week))
    return tally


def improve_item_totals(cohort: Cohort, student_ids: list[int], *, through_week: int) -> dict[str, int]:
    """improve_item_counts summed over these students, holding one student's rows at a time."""
    totals = dict.fromkeys(IMPROVE_TALLY_KEYS, 0)
    for _, counts in improve_item_counts(cohort, student_ids, through_week=through_week):
        for key, count in counts.items():
            totals[key] += count
    return totals
