"""A realistic cohort of any size, loaded fast, for the benchmark and for trying the pages at
scale (`python manage.py seed_load`).

Every (student, week) cell gets one outcome from a mix that depends on how long ago the week
was due: missing (no work), a draft, submitted, changes requested, resubmitted, accepted, or
accepted after a revision; some first submissions are late. Each submission is an immutable
revision with its evidence link; each mentor decision is an assessment scored on every
criterion of the course's weekly rubric; students keep a risk log and write retrospectives;
a mentor looks after 30 students; one student in ten has a public portfolio with their
accepted weeks published.

The rows are written with PostgreSQL's COPY (psycopg 3 `cursor.copy`), not through the
services: a service call per row would take hours at 33,340 students. What the services
would decide (the weighted score, due instants, Bloom levels of an entry, the default rubric)
is asked of the apps that own it. Primary keys are reserved from each table's sequence up
front (the tables are locked against other writers until the load commits), so every foreign
key is known while the rows stream. The outcome mix is allocated per week in exact
proportions (largest remainder), so even a small cohort shows every state.
"""

import datetime
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from accounts.models import User
from cohorts.models import Cohort, Membership, MentorAssignment
from cohorts.schedule import week_window
from cohorts.services import cohort_create
from curriculum.models import Course, Week
from insights.models import AtRiskInputs
from insights.services import at_risk_inputs_rebuild
from portfolios.models import Portfolio, PortfolioEntry, PortfolioEntryArtifact
from portfolios.services import entry_bloom_levels
from rubrics.models import Assessment, Criterion, CriterionScore, ObjectiveJudgement, Rubric
from rubrics.selectors import derive_objective_judgements, mastery_rule_for, objective_links_for_work
from rubrics.services import rubric_install_defaults, weighted_score
from submissions.models import Artifact, Retrospective, Revision, RevisionArtifact, RiskEntry, WeeklyWork

# Every account the load creates has an address in this domain; --replace refuses to touch a
# cohort with any other member, so it can never delete real people or their work.
LOAD_EMAIL_DOMAIN = "load.example.com"
STUDENTS_PER_MENTOR = 30
PUBLIC_PORTFOLIO_EVERY = 10  # one student in ten publishes

# Outcomes of one (student, week) cell.
NONE, DRAFT, SUBMITTED, CHANGES_REQUESTED, RESUBMITTED, ACCEPTED, ACCEPTED_AFTER_REVISION = range(7)
OUTCOME_NAMES = {
    NONE: "missing",
    DRAFT: "draft",
    SUBMITTED: "submitted",
    CHANGES_REQUESTED: "changes requested",
    RESUBMITTED: "resubmitted",
    ACCEPTED: "accepted",
    ACCEPTED_AFTER_REVISION: "accepted after a revision",
}
WORK_STATE = {
    DRAFT: WeeklyWork.State.DRAFT,
    SUBMITTED: WeeklyWork.State.SUBMITTED,
    CHANGES_REQUESTED: WeeklyWork.State.CHANGES_REQUESTED,
    RESUBMITTED: WeeklyWork.State.RESUBMITTED,
    ACCEPTED: WeeklyWork.State.ACCEPTED,
    ACCEPTED_AFTER_REVISION: WeeklyWork.State.ACCEPTED,
}
REVISIONS = {
    NONE: 0,
    DRAFT: 0,
    SUBMITTED: 1,
    CHANGES_REQUESTED: 1,
    RESUBMITTED: 2,
    ACCEPTED: 1,
    ACCEPTED_AFTER_REVISION: 2,
}
# The mentor's decisions, in order, per outcome.
DECISIONS = {
    NONE: (),
    DRAFT: (),
    SUBMITTED: (),
    CHANGES_REQUESTED: (Assessment.Decision.REQUEST_CHANGES,),
    RESUBMITTED: (Assessment.Decision.REQUEST_CHANGES,),
    ACCEPTED: (Assessment.Decision.ACCEPT,),
    ACCEPTED_AFTER_REVISION: (Assessment.Decision.REQUEST_CHANGES, Assessment.Decision.ACCEPT),
}
# The mix, in percent per outcome (NONE … ACCEPTED_AFTER_REVISION), by how many weeks ago the
# week was due: the open week is mostly drafts and fresh submissions, the last two weeks still
# wait for reviews, older weeks are mostly settled.
MIX_OPEN_WEEK = (35, 40, 25, 0, 0, 0, 0)
MIX_RECENT = (4, 3, 25, 10, 8, 45, 5)
MIX_SETTLED = (3, 2, 3, 4, 3, 72, 13)
LATE_EVERY = 10  # one first submission in ten of a past week arrives after the due date

DRAFT_TEXTS = {
    "concept": "The bottleneck moves from the application to the connection pool once the cache absorbs reads; "
    "the objective asks to justify the pool size from measured concurrency, not from a rule of thumb.",
    "lab": "Ran the load test at 200 req/s for 10 minutes against two replicas. p95 dropped from 310 ms to 95 ms "
    "after adding the covering index; the error rate stayed under 0.1 %.",
    "decision": "Options: covering index, read replica, application cache. Chose the index: cheapest, no "
    "staleness. Revisit when writes exceed 500/s.",
}


class LoadRefused(Exception):
    """The load cannot run as asked (wrong database, a cohort that exists, bad numbers)."""


@dataclass
class LoadResult:
    cohort: Cohort
    rows: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def allocate(count: int, weights: tuple[int, ...]) -> list[int]:
    """Split `count` into parts proportional to `weights` (largest remainder), giving every
    part with a positive weight at least one when there are enough to go round."""
    total = sum(weights)
    exact = [count * w / total for w in weights]
    parts = [math.floor(x) for x in exact]
    positive = [i for i, w in enumerate(weights) if w]
    if count >= len(positive):
        for i in positive:
            if parts[i] == 0:
                parts[i] = 1
    while sum(parts) > count:
        largest = max(range(len(parts)), key=lambda i: (parts[i], -i))
        parts[largest] -= 1
    by_remainder = sorted(positive, key=lambda i: exact[i] - math.floor(exact[i]), reverse=True)
    index = 0
    while sum(parts) < count:
        parts[by_remainder[index % len(by_remainder)]] += 1
        index += 1
    return parts


def mix_for(week_number: int, weeks: int) -> tuple[int, ...]:
    age = weeks - week_number  # 0: the open week
    if age == 0:
        return MIX_OPEN_WEEK
    return MIX_RECENT if age <= 2 else MIX_SETTLED


def plan_outcomes(students: int, weeks: int, seed: int) -> list[bytearray]:
    """Per week (index 0 = week 1), the outcome of each student, in the week's exact mix."""
    plan = []
    for number in range(1, weeks + 1):
        cells = bytearray()
        for outcome, part in enumerate(allocate(students, mix_for(number, weeks))):
            cells.extend([outcome] * part)
        random.Random(seed * 1000 + number).shuffle(cells)
        plan.append(cells)
    return plan


def _spread(student: int, week: int) -> int:
    """A cheap, deterministic pseudo-random number per cell (Knuth's multiplicative hash)."""
    return ((student + 1) * 2654435761 + week * 40503) & 0xFFFFFFFF


@dataclass(frozen=True)
class _Ids:
    """The first primary key reserved for each table."""

    user: int
    membership: int
    assignment: int
    work: int
    revision: int
    artifact: int
    revision_artifact: int
    assessment: int
    score: int
    judgement: int
    risk: int
    retrospective: int
    portfolio: int
    entry: int
    entry_artifact: int


@dataclass(frozen=True)
class _Cell:
    student: int  # index
    week: Week
    outcome: int
    spread: int
    work_id: int
    revision_ids: tuple[int, ...]
    assessment_ids: tuple[int, ...]
    artifact_id: int | None
    published: bool
    entry_id: int | None


def _is_publisher(student: int) -> bool:
    return student % PUBLIC_PORTFOLIO_EVERY == 0


class _Loader:
    def __init__(self, *, course: Course, cohort: Cohort, students: int, weeks: int, seed: int) -> None:
        self.course = course
        self.cohort = cohort
        self.students = students
        self.weeks = list(Week.objects.for_course(course).select_related("lab")[:weeks])
        self.mentors = max(1, math.ceil(students / STUDENTS_PER_MENTOR))
        self.plan = plan_outcomes(students, weeks, seed)
        self.windows = {w.number: week_window(cohort, w.number) for w in self.weeks}
        rubric, _ = rubric_install_defaults(course=course)
        self.rubric = rubric
        self.criteria = list(Criterion.objects.filter(rubric=rubric).prefetch_related("levels").order_by("order"))
        self.profiles = self._score_profiles()
        self.judgements = self._judgements()
        self.bloom = {w.pk: json.dumps(entry_bloom_levels(WeeklyWork(week=w))) for w in self.weeks}
        self.contents = {w.pk: self._content(w) for w in self.weeks}
        self.evidence = {w.pk: (w.lab.evidence_list or ["Load test summary"])[0][:500] for w in self.weeks}

    # --- What each row holds ------------------------------------------------------------

    def _score_profiles(self) -> dict[str, list[tuple[Decimal, list[tuple[int, int]]]]]:
        """A few plausible ways of scoring the rubric for each decision: (weighted score,
        [(criterion id, level id)…]); strong levels for an acceptance, weak for a request."""
        profiles: dict[str, list] = {Assessment.Decision.ACCEPT: [], Assessment.Decision.REQUEST_CHANGES: []}
        self.points = {level.pk: level.points for c in self.criteria for level in c.levels.all()}
        for variant in range(6):
            for decision in profiles:
                chosen = []
                for index, criterion in enumerate(self.criteria):
                    levels = sorted(criterion.levels.all(), key=lambda lv: lv.points)
                    upper = levels[len(levels) // 2 :] if decision == Assessment.Decision.ACCEPT else levels[:2]
                    level = upper[(variant + index) % len(upper)]
                    if decision == Assessment.Decision.ACCEPT and variant >= 4 and index == variant - 4:
                        level = levels[1]  # accepted with one criterion still weak: an objective not yet met
                    chosen.append((criterion, level))
                score = weighted_score(
                    (c.weight, level.points, max(lv.points for lv in c.levels.all())) for c, level in chosen
                )
                profiles[decision].append((score, [(c.pk, level.pk) for c, level in chosen]))
        return profiles

    def _judgements(self) -> dict[tuple[int, int], list[tuple[int, bool | None, bool, str]]]:
        """(week id, acceptance profile) → the outcome objectives judged at acceptance:
        (objective id, derived, met, rule), as rubrics.services derives them from the levels."""
        rule = mastery_rule_for(self.cohort)
        planned = {}
        for week in self.weeks:
            links = objective_links_for_work(WeeklyWork(week=week), self.rubric)
            for variant, (_, levels) in enumerate(self.profiles[Assessment.Decision.ACCEPT]):
                points_of = {criterion_id: self.points[level_id] for criterion_id, level_id in levels}
                planned[(week.pk, variant)] = [
                    (check.objective.pk, check.derived, check.derived, rule.describe())
                    for check in derive_objective_judgements(rule, links, points_of)
                    if check.derived is not None  # nothing linked: not assessed
                ]
        return planned

    def _content(self, week: Week) -> str:
        return json.dumps(
            {
                "concept": {"text": DRAFT_TEXTS["concept"], "objective_ids": []},
                "lab": {"text": DRAFT_TEXTS["lab"], "gates": {}},
                "decision": {
                    "options": "Covering index; read replica; application cache.",
                    "tradeoffs": "The index costs write amplification; the replica adds lag; the cache staleness.",
                    "risks": "Index bloat under heavy updates.",
                    "decision_points": "Writes above 500/s.",
                    "decision": "Covering index.",
                    "rationale": DRAFT_TEXTS["decision"],
                },
                "dossier": {
                    "criteria": [{"criterion": "Latency", "metric": "p95", "target": "100 ms", "measured": "95 ms"}],
                    "next_actions": "Track index size weekly.",
                },
                "deliverable": {"text": ""},
                "revision_note": "",
                "target": f"Week {week.number}: {week.title}",
            }
        )

    def cells(self, ids: _Ids) -> Iterator[_Cell]:
        """Every cell with work, students in order and weeks in order within a student, with the
        primary keys of everything it holds (the same sequence on every call)."""
        work_id, revision_id, assessment_id, artifact_id, entry_id = (
            ids.work,
            ids.revision,
            ids.assessment,
            ids.artifact,
            ids.entry,
        )
        for student in range(self.students):
            for index, week in enumerate(self.weeks):
                outcome = self.plan[index][student]
                if outcome == NONE:
                    continue
                revisions = REVISIONS[outcome]
                decisions = len(DECISIONS[outcome])
                published = outcome in (ACCEPTED, ACCEPTED_AFTER_REVISION) and _is_publisher(student)
                yield _Cell(
                    student=student,
                    week=week,
                    outcome=outcome,
                    spread=_spread(student, week.number),
                    work_id=work_id,
                    revision_ids=tuple(range(revision_id, revision_id + revisions)),
                    assessment_ids=tuple(range(assessment_id, assessment_id + decisions)),
                    artifact_id=artifact_id if revisions else None,
                    published=published,
                    entry_id=entry_id if published else None,
                )
                work_id += 1
                revision_id += revisions
                assessment_id += decisions
                artifact_id += 1 if revisions else 0
                entry_id += 1 if published else 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("work", "revision", "assessment", "artifact", "entry"), 0)
        for index in range(len(self.weeks)):
            for student, outcome in enumerate(self.plan[index]):
                if outcome == NONE:
                    continue
                counts["work"] += 1
                counts["revision"] += REVISIONS[outcome]
                counts["assessment"] += len(DECISIONS[outcome])
                counts["artifact"] += 1 if REVISIONS[outcome] else 0
                if outcome in (ACCEPTED, ACCEPTED_AFTER_REVISION) and _is_publisher(student):
                    counts["entry"] += 1
        return counts

    def timeline(self, cell: _Cell) -> tuple[list[tuple[datetime.datetime, bool]], list[datetime.datetime]]:
        """(submitted at, late) per revision and the instant of each mentor decision."""
        window = self.windows[cell.week.number]
        hours = datetime.timedelta(hours=1)
        spread = cell.spread
        open_week = cell.week.number == self.weeks[-1].number
        if open_week:
            first = window.opens_at + (6 + spread % 60) * hours
        elif spread % LATE_EVERY == 0:
            first = window.due_at + (2 + spread % 40) * hours
        else:
            first = max(window.opens_at + hours, window.due_at - (2 + spread % 90) * hours)
        revisions = [first]
        decisions = []
        moment = first
        for _ in DECISIONS[cell.outcome]:
            moment = moment + (12 + (spread >> 8) % 48) * hours
            decisions.append(moment)
            if len(revisions) < len(cell.revision_ids):
                moment = moment + (24 + (spread >> 12) % 48) * hours
                revisions.append(moment)
        return [(at, at > window.due_at) for at in revisions], decisions

    # --- The tables -------------------------------------------------------------------------

    def user_rows(self, ids: _Ids, joined: datetime.datetime) -> Iterator[tuple]:
        slug = self.cohort.slug
        people = [("instructor", "Instructor")] + [(f"mentor-{m:04d}", f"Mentor {m:04d}") for m in range(self.mentors)]
        people += [(f"student-{s:05d}", f"Student {s:05d}") for s in range(self.students)]
        for offset, (local, name) in enumerate(people):
            email = f"{slug}-{local}@{LOAD_EMAIL_DOMAIN}"
            # "!" is Django's unusable password: load accounts cannot sign in until someone sets one.
            yield (ids.user + offset, "!", None, False, False, True, joined, email, name, "UTC")

    def instructor_id(self, ids: _Ids) -> int:
        return ids.user

    def mentor_id(self, ids: _Ids, student: int) -> int:
        return ids.user + 1 + student // STUDENTS_PER_MENTOR

    def student_id(self, ids: _Ids, student: int) -> int:
        return ids.user + 1 + self.mentors + student

    def membership_rows(self, ids: _Ids, joined: datetime.datetime) -> Iterator[tuple]:
        cohort = self.cohort.pk
        pk = ids.membership
        yield (pk, Membership.Role.INSTRUCTOR, joined, cohort, self.instructor_id(ids))
        for m in range(self.mentors):
            pk += 1
            yield (pk, Membership.Role.MENTOR, joined, cohort, ids.user + 1 + m)
        for s in range(self.students):
            pk += 1
            yield (pk, Membership.Role.STUDENT, joined, cohort, self.student_id(ids, s))

    def assignment_rows(self, ids: _Ids, joined: datetime.datetime) -> Iterator[tuple]:
        for s in range(self.students):
            yield (ids.assignment + s, joined, self.cohort.pk, self.mentor_id(ids, s), self.student_id(ids, s))

    def work_rows(self, ids: _Ids) -> Iterator[tuple]:
        hour = datetime.timedelta(hours=1)
        for cell in self.cells(ids):
            window = self.windows[cell.week.number]
            revisions, decisions = self.timeline(cell) if cell.revision_ids else ([], [])
            last = max([at for at, _ in revisions] + decisions, default=window.opens_at + 2 * hour)
            published_at = decisions[-1] + 24 * hour if cell.published else None
            yield (
                cell.work_id,
                WORK_STATE[cell.outcome],
                self.contents[cell.week.pk],
                1 + len(cell.revision_ids) + cell.spread % 4,
                window.opens_at + 2 * hour,
                published_at,
                window.opens_at + hour,
                published_at or last,
                self.cohort.pk,
                None,
                None,  # latest_revision: set in one UPDATE … FROM once the revisions exist
                self.student_id(ids, cell.student),
                cell.week.pk,
            )

    def revision_rows(self, ids: _Ids) -> Iterator[tuple]:
        for cell in self.cells(ids):
            if not cell.revision_ids:
                continue
            revisions, _ = self.timeline(cell)
            due_at = self.windows[cell.week.number].due_at
            student = self.student_id(ids, cell.student)
            for number, (pk, (at, late)) in enumerate(zip(cell.revision_ids, revisions, strict=True), start=1):
                note = "" if number == 1 else "Re-ran the failing gate and compared two real options, as asked."
                yield (pk, number, self.contents[cell.week.pk], note, at, due_at, late, student, cell.work_id)

    def artifact_rows(self, ids: _Ids) -> Iterator[tuple]:
        for cell in self.cells(ids):
            if cell.artifact_id is None:
                continue
            created = self.windows[cell.week.number].opens_at + datetime.timedelta(hours=3)
            yield (
                cell.artifact_id,
                Artifact.Kind.LINK,
                "",
                f"https://github.com/{self.cohort.slug}/student-{cell.student:05d}/tree/week-{cell.week.number}",
                "",
                "",
                0,
                "",
                "Load test summary and dashboards",
                self.evidence[cell.week.pk],
                created,
                None,
                self.student_id(ids, cell.student),
                cell.work_id,
                None,
            )

    def revision_artifact_rows(self, ids: _Ids) -> Iterator[tuple]:
        pk = ids.revision_artifact
        for cell in self.cells(ids):
            for revision_id in cell.revision_ids:
                yield (pk, cell.artifact_id, revision_id)
                pk += 1

    def assessment_rows(self, ids: _Ids) -> Iterator[tuple]:
        for cell in self.cells(ids):
            if not cell.assessment_ids:
                continue
            _, decided = self.timeline(cell)
            mentor = self.mentor_id(ids, cell.student)
            for index, (pk, decision, at) in enumerate(
                zip(cell.assessment_ids, DECISIONS[cell.outcome], decided, strict=True)
            ):
                score, _ = self.profiles[decision][(cell.spread >> 4) % 6]
                feedback = (
                    "Accepted: the measurements carry the argument."
                    if decision == Assessment.Decision.ACCEPT
                    else "Compare at least two real options and re-run the failing gate."
                )
                revision = cell.revision_ids[index]
                yield (
                    pk,
                    Assessment.Kind.MENTOR,
                    feedback,
                    decision,
                    score,
                    at,
                    revision,
                    mentor,
                    None,
                    self.rubric.pk,
                )

    def score_rows(self, ids: _Ids) -> Iterator[tuple]:
        pk = ids.score
        for cell in self.cells(ids):
            for assessment_id, decision in zip(cell.assessment_ids, DECISIONS[cell.outcome], strict=True):
                _, levels = self.profiles[decision][(cell.spread >> 4) % 6]
                for criterion_id, level_id in levels:
                    yield (pk, "", assessment_id, criterion_id, level_id)
                    pk += 1

    def judgement_rows(self, ids: _Ids) -> Iterator[tuple]:
        pk = ids.judgement
        for cell in self.cells(ids):
            for assessment_id, decision in zip(cell.assessment_ids, DECISIONS[cell.outcome], strict=True):
                if decision != Assessment.Decision.ACCEPT:
                    continue
                for objective_id, derived, met, rule in self.judgements[(cell.week.pk, (cell.spread >> 4) % 6)]:
                    yield (pk, derived, met, rule, "", assessment_id, objective_id, cell.work_id)
                    pk += 1

    def judgements_needed(self) -> int:
        """At most this many judgements (every acceptance with the most judged objectives)."""
        return max((len(j) for j in self.judgements.values()), default=0)

    def retrospective_rows(self, ids: _Ids) -> Iterator[tuple[int, ...]]:
        pk = ids.retrospective
        for cell in self.cells(ids):
            # Most submitters write all three parts; some leave one empty (not "done"); few
            # drafters write one.
            kind = cell.spread % 10
            if cell.revision_ids and kind < 9:
                scale = "Budget every endpoint's p95 before adding features." if kind < 8 else ""
            elif not cell.revision_ids and kind < 3:
                scale = ""
            else:
                continue
            at = self.windows[cell.week.number].due_at - datetime.timedelta(hours=1)
            yield (
                pk,
                "Measuring before changing anything.",
                "Start the load test earlier in the week.",
                scale,
                at,
                self.cohort.pk,
                self.student_id(ids, cell.student),
                cell.week.pk,
            )
            pk += 1

    def risk_rows(self, ids: _Ids) -> Iterator[tuple]:
        pk = ids.risk
        last = len(self.weeks)
        for s in range(self.students):
            spread = _spread(s, 0)
            for kind, title, severity in (
                (RiskEntry.Kind.RISK, "Hot partition on the orders table", RiskEntry.Severity.HIGH),
                (RiskEntry.Kind.DEFECT, "Cache stampede after deploy", RiskEntry.Severity.MEDIUM),
            ):
                opened = 1 + spread % last
                closed = opened + (spread >> 6) % 3 if (spread >> 3) % 2 else None
                if closed is not None and closed > last:
                    closed = None
                opened_week, closed_week = self.weeks[opened - 1], self.weeks[closed - 1] if closed else None
                at = self.windows[opened].opens_at + datetime.timedelta(hours=30)
                yield (
                    pk,
                    kind,
                    title,
                    "Seen under the 200 req/s load test.",
                    severity,
                    RiskEntry.Status.CLOSED if closed_week else RiskEntry.Status.OPEN,
                    "Added jitter to the cache TTL." if closed_week else "",
                    at,
                    at,
                    self.cohort.pk,
                    self.student_id(ids, s),
                    closed_week.pk if closed_week else None,
                    opened_week.pk,
                )
                pk += 1
                spread >>= 1

    def portfolio_rows(self, ids: _Ids, joined: datetime.datetime) -> Iterator[tuple]:
        # A portfolio slug allows fewer characters than a cohort slug.
        portfolio_prefix = re.sub(r"[^a-z0-9]+", "-", self.cohort.slug.lower())[:20].strip("-") or "load"
        for index, s in enumerate(range(0, self.students, PUBLIC_PORTFOLIO_EVERY)):
            yield (
                ids.portfolio + index,
                f"{portfolio_prefix}-{self.cohort.pk}-{s:05d}",
                f"Student {s:05d}",
                "Backend engineer: caching, queues and load tests",
                "I measure before I change anything, and write down why.",
                "[]",
                Portfolio.Visibility.PUBLIC,
                True,
                1,
                joined,
                joined,
                self.student_id(ids, s),
            )

    def entry_rows(self, ids: _Ids) -> Iterator[tuple]:
        for cell in self.cells(ids):
            if not cell.published:
                continue
            _, decided = self.timeline(cell)
            score, _ = self.profiles[Assessment.Decision.ACCEPT][(cell.spread >> 4) % 6]
            yield (
                cell.entry_id,
                f"Week {cell.week.number}: {cell.week.title}"[:300],
                False,
                cell.week.number,
                cell.week.phase,
                "",
                self.bloom[cell.week.pk],
                "**Problem.** Slow pages under load.\n\n**Decision.** A covering index.\n\n**Result.** p95 95 ms.",
                score,
                len(cell.revision_ids),
                decided[-1] + datetime.timedelta(hours=24),
                cell.week.number,
                False,
                None,
                ids.portfolio + cell.student // PUBLIC_PORTFOLIO_EVERY,
                cell.revision_ids[-1],
                cell.work_id,
            )

    def entry_artifact_rows(self, ids: _Ids) -> Iterator[tuple]:
        pk = ids.entry_artifact
        for cell in self.cells(ids):
            if not cell.published:
                continue
            url = f"https://github.com/{self.cohort.slug}/student-{cell.student:05d}/tree/week-{cell.week.number}"
            yield (pk, 0, Artifact.Kind.LINK, url, url, "", 0, "", "Load test summary", cell.artifact_id, cell.entry_id)
            pk += 1


# (model, columns in row order); the tables are filled in this order.
COLUMNS: list[tuple[type[models.Model], str, tuple[str, ...]]] = [
    (
        User,
        "user",
        (
            "id",
            "password",
            "last_login",
            "is_superuser",
            "is_staff",
            "is_active",
            "date_joined",
            "email",
            "name",
            "time_zone",
        ),
    ),
    (Membership, "membership", ("id", "role", "created_at", "cohort_id", "user_id")),
    (MentorAssignment, "assignment", ("id", "created_at", "cohort_id", "mentor_id", "student_id")),
    (
        WeeklyWork,
        "work",
        (
            "id",
            "state",
            "content",
            "draft_version",
            "draft_saved_at",
            "published_at",
            "created_at",
            "updated_at",
            "cohort_id",
            "deliverable_id",
            "latest_revision_id",
            "student_id",
            "week_id",
        ),
    ),
    (
        Revision,
        "revision",
        ("id", "number", "content", "note", "submitted_at", "due_at", "is_late", "submitted_by_id", "work_id"),
    ),
    (
        Artifact,
        "artifact",
        (
            "id",
            "kind",
            "file",
            "url",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "proves",
            "evidence_item",
            "created_at",
            "detached_at",
            "uploaded_by_id",
            "work_id",
            "erased_at",
        ),
    ),
    (RevisionArtifact, "revision_artifact", ("id", "artifact_id", "revision_id")),
    (
        Assessment,
        "assessment",
        (
            "id",
            "kind",
            "feedback",
            "decision",
            "score",
            "submitted_at",
            "revision_id",
            "scorer_id",
            "calibration_run_id",
            "rubric_id",
        ),
    ),
    (CriterionScore, "score", ("id", "comment", "assessment_id", "criterion_id", "level_id")),
    (
        ObjectiveJudgement,
        "judgement",
        ("id", "derived_met", "met", "rule", "reason", "assessment_id", "objective_id", "work_id"),
    ),
    (
        Retrospective,
        "retrospective",
        ("id", "retain", "improve", "scale", "updated_at", "cohort_id", "student_id", "week_id"),
    ),
    (
        RiskEntry,
        "risk",
        (
            "id",
            "kind",
            "title",
            "description",
            "severity",
            "status",
            "resolution",
            "created_at",
            "updated_at",
            "cohort_id",
            "student_id",
            "week_closed_id",
            "week_opened_id",
        ),
    ),
    (
        Portfolio,
        "portfolio",
        (
            "id",
            "slug",
            "display_name",
            "headline",
            "bio",
            "links",
            "visibility",
            "show_scores",
            "version",
            "created_at",
            "updated_at",
            "user_id",
        ),
    ),
    (
        PortfolioEntry,
        "entry",
        (
            "id",
            "title",
            "is_capstone",
            "week_number",
            "phase",
            "capstone_project",
            "bloom_levels",
            "narrative",
            "mentor_score",
            "revision_number",
            "published_at",
            "order",
            "featured",
            "unpublished_at",
            "portfolio_id",
            "revision_id",
            "work_id",
        ),
    ),
    (
        PortfolioEntryArtifact,
        "entry_artifact",
        ("id", "order", "kind", "name", "url", "content_type", "size", "sha256", "proves", "artifact_id", "entry_id"),
    ),
]


def _reserve(cursor, model: type[models.Model], count: int) -> int:
    """Reserve `count` consecutive primary keys of the model's table and return the first.
    The table is locked against other writers until the transaction ends, so nobody else
    takes a key in between."""
    table = model._meta.db_table
    cursor.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    if count > 1:
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _copy(cursor, model: type[models.Model], columns: tuple[str, ...], rows: Iterator[tuple]) -> int:
    table = model._meta.db_table
    names = ", ".join(f'"{c}"' for c in columns)
    written = 0
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _skip_row_checks(cursor) -> bool:
    """Turn the per-row foreign-key triggers off for this transaction when the role may
    (a superuser, as on development and bench machines), and say whether it did. With them on,
    PostgreSQL checks and locks the parent row of each of the millions of new rows at commit,
    which takes longer than the whole load; _check_foreign_keys then checks every new row with
    one anti-join per foreign key instead."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def _check_foreign_keys(cursor, ids: _Ids, needed: dict[str, int]) -> None:
    """Every foreign key of every loaded row points at an existing row, or the load fails (and
    its transaction rolls back)."""
    for model, key, _ in COLUMNS:
        first = getattr(ids, key)
        last = first + max(needed[key], 1) - 1
        for f in model._meta.concrete_fields:
            if not (f.is_relation and f.db_constraint):
                continue
            target = f.related_model._meta
            column, parent_key = f.column, f.target_field.column
            cursor.execute(
                f'SELECT count(*) FROM "{model._meta.db_table}" AS child WHERE child.id BETWEEN %s AND %s '
                f'AND child."{column}" IS NOT NULL AND NOT EXISTS ('
                f'SELECT 1 FROM "{target.db_table}" AS parent WHERE parent."{parent_key}" = child."{column}")',
                [first, last],
            )
            dangling = cursor.fetchone()[0]
            if dangling:
                raise LoadRefused(
                    f"{dangling} loaded rows of {model._meta.db_table}.{f.column} point at no {target.db_table} row: "
                    "the load is rolled back. This is a bug in courseplatform/loadgen.py."
                )


def _delete_everything_of(cohort: Cohort) -> None:
    """Delete the cohort, its members' accounts and every row that refers to them, following
    the foreign keys of every installed model (so tables added later are covered too)."""
    members = Membership.objects.filter(cohort=cohort)
    outsiders = members.exclude(user__email__endswith=f"@{LOAD_EMAIL_DOMAIN}")
    if outsiders.exists():
        raise LoadRefused(
            f"Cohort “{cohort.slug}” has members that seed_load did not create "
            f"(e.g. {outsiders.select_related('user').first().user.email}); --replace only replaces a load cohort."
        )
    user_ids = list(members.values_list("user_id", flat=True))
    edges = []  # (referencing model, column, referenced model, deletes the row?)
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.db_constraint and f.target_field.primary_key:
                cascades = f.remote_field.on_delete is not models.SET_NULL
                edges.append((model, f.column, f.related_model._meta.concrete_model, cascades))
    with connection.cursor() as cursor:
        doomed = {}

        def doomed_table(model: type[models.Model]) -> str:
            if model not in doomed:
                name = f"load_delete_{len(doomed)}"
                key_type = model._meta.pk.db_type(connection)
                cursor.execute(f"CREATE TEMPORARY TABLE {name} (id {key_type} PRIMARY KEY) ON COMMIT DROP")
                doomed[model] = name
            return doomed[model]

        cursor.execute(f"INSERT INTO {doomed_table(Cohort)} VALUES (%s)", [cohort.pk])
        cursor.executemany(f"INSERT INTO {doomed_table(User)} VALUES (%s)", [(pk,) for pk in user_ids])
        grew = True
        while grew:
            grew = False
            for model, column, target, cascades in edges:
                if not cascades or target not in doomed:
                    continue
                cursor.execute(
                    f"INSERT INTO {doomed_table(model)} SELECT {model._meta.pk.column} FROM "
                    f'"{model._meta.db_table}" WHERE "{column}" IN (SELECT id FROM {doomed[target]}) '
                    "ON CONFLICT DO NOTHING"
                )
                grew = grew or cursor.rowcount > 0
        for model, column, target, cascades in edges:
            if not cascades and target in doomed:
                cursor.execute(
                    f'UPDATE "{model._meta.db_table}" SET "{column}" = NULL '
                    f'WHERE "{column}" IN (SELECT id FROM {doomed[target]})'
                )
        # Foreign keys are checked at commit (Django makes them deferrable), so the order of
        # the deletes does not matter.
        for model, name in doomed.items():
            cursor.execute(
                f'DELETE FROM "{model._meta.db_table}" WHERE {model._meta.pk.column} IN (SELECT id FROM {name})'
            )


def cohort_load(
    *,
    course: Course,
    slug: str,
    students: int,
    weeks: int,
    start_date: datetime.date,
    replace: bool = False,
    seed: int = 1,
    name: str = "",
    say: Callable[[str], None] = lambda message: None,
) -> LoadResult:
    """Create cohort `slug` with `students` students and their work for the first `weeks` weeks
    (the last of them the open week). PostgreSQL only (COPY)."""
    if connection.vendor != "postgresql":
        raise LoadRefused(
            f"seed_load writes with PostgreSQL's COPY and this database is {connection.vendor}; "
            "set DATABASE_URL to a PostgreSQL database (the demo, `seed_demo`, works everywhere)."
        )
    available = Week.objects.for_course(course).count()
    if students < 1:
        raise LoadRefused("--students must be at least 1.")
    if not 1 <= weeks <= available:
        raise LoadRefused(f"--weeks must be between 1 and {available} (the weeks of {course}).")
    started = time.perf_counter()
    with transaction.atomic():
        existing = Cohort.objects.filter(slug=slug).first()
        if existing is not None:
            if not replace:
                raise LoadRefused(f"Cohort “{slug}” exists already; pass --replace to delete it and load it again.")
            say(f"Deleting cohort “{slug}” and its load accounts …")
            _delete_everything_of(existing)
        try:
            cohort = cohort_create(
                course=course,
                name=name or f"Load: {students:,} students",
                slug=slug,
                start_date=start_date,
                time_zone="UTC",
            )
        except ValidationError as error:
            raise LoadRefused("; ".join(error.messages)) from error
        loader = _Loader(course=course, cohort=cohort, students=students, weeks=weeks, seed=seed)
        counts = loader.counts()
        publishers = len(range(0, students, PUBLIC_PORTFOLIO_EVERY))
        criteria = len(loader.criteria)
        people = 1 + loader.mentors + students
        # How many rows of each table are needed, to reserve their keys before any is written.
        needed = {
            "user": people,
            "membership": people,
            "assignment": students,
            "work": counts["work"],
            "revision": counts["revision"],
            "artifact": counts["artifact"],
            "revision_artifact": counts["revision"],
            "assessment": counts["assessment"],
            "score": counts["assessment"] * criteria,
            # Only acceptances are judged; reserving for every assessment leaves a few keys unused.
            "judgement": counts["assessment"] * loader.judgements_needed(),
            "risk": 2 * students,
            "retrospective": counts["work"],  # at most one per work; the rest of the range stays unused
            "portfolio": publishers,
            "entry": counts["entry"],
            "entry_artifact": counts["entry"],
        }
        joined = datetime.datetime.combine(
            start_date - datetime.timedelta(days=7), datetime.time(9), tzinfo=datetime.UTC
        )
        rows_of = {
            "user": lambda ids: loader.user_rows(ids, joined),
            "membership": lambda ids: loader.membership_rows(ids, joined),
            "assignment": lambda ids: loader.assignment_rows(ids, joined),
            "work": loader.work_rows,
            "revision": loader.revision_rows,
            "artifact": loader.artifact_rows,
            "revision_artifact": loader.revision_artifact_rows,
            "assessment": loader.assessment_rows,
            "score": loader.score_rows,
            "judgement": loader.judgement_rows,
            "retrospective": loader.retrospective_rows,
            "risk": loader.risk_rows,
            "portfolio": lambda ids: loader.portfolio_rows(ids, joined),
            "entry": loader.entry_rows,
            "entry_artifact": loader.entry_artifact_rows,
        }
        result = LoadResult(cohort=cohort)
        with connection.cursor() as wrapper:
            cursor = wrapper.cursor  # psycopg's own cursor, for copy()
            ids = _Ids(**{key: _reserve(cursor, model, max(needed[key], 1)) for model, key, _ in COLUMNS})
            checked_in_bulk = _skip_row_checks(cursor)
            for model, key, columns in COLUMNS:
                table_started = time.perf_counter()
                result.rows[model._meta.db_table] = _copy(cursor, model, columns, rows_of[key](ids))
                say(
                    f"  {model._meta.db_table:<36} {result.rows[model._meta.db_table]:>10,} rows "
                    f"{time.perf_counter() - table_started:6.1f} s"
                )
            cursor.execute(
                """
                UPDATE submissions_weeklywork AS work SET latest_revision_id = latest.id
                FROM (
                    SELECT DISTINCT ON (work_id) work_id, id FROM submissions_revision
                    WHERE work_id BETWEEN %s AND %s ORDER BY work_id, number DESC
                ) AS latest
                WHERE work.id = latest.work_id
                """,
                [ids.work, ids.work + max(counts["work"], 1) - 1],
            )
            if checked_in_bulk:
                cursor.execute("SET LOCAL session_replication_role = origin")
                checks_started = time.perf_counter()
                _check_foreign_keys(cursor, ids, needed)
                say(f"  foreign keys of every new row checked in {time.perf_counter() - checks_started:.1f} s")
            # An assessment freezes the rubric version it used, as rubrics.services does.
            Rubric.objects.filter(pk=loader.rubric.pk, frozen_at__isnull=True).update(frozen_at=joined)
            # Fresh statistics, so that the planner sees the new sizes right away.
            for model, _, _ in COLUMNS:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
            # What the services keep per student as they write (insights' at-risk inputs), made
            # for the whole cohort at once from the rows just loaded.
            inputs_started = time.perf_counter()
            result.rows[AtRiskInputs._meta.db_table] = at_risk_inputs_rebuild(cohort=cohort)
            cursor.execute(f'ANALYZE "{AtRiskInputs._meta.db_table}"')
            say(
                f"  {AtRiskInputs._meta.db_table:<36} {result.rows[AtRiskInputs._meta.db_table]:>10,} rows "
                f"{time.perf_counter() - inputs_started:6.1f} s"
            )
    for index in range(len(loader.weeks)):
        for outcome in loader.plan[index]:
            result.outcomes[OUTCOME_NAMES[outcome]] = result.outcomes.get(OUTCOME_NAMES[outcome], 0) + 1
    result.seconds = time.perf_counter() - started
    return result
