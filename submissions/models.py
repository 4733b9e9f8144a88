"""Weekly work, its immutable revisions, evidence artifacts, the risk/defect log and
retrospectives.

A student's work for one week (or one capstone deliverable) is a single `WeeklyWork`
row holding the editable draft as a JSON document per section. Submitting freezes a
numbered `Revision`: a snapshot of every section plus the artifacts attached at that
moment. Revisions, and the rows linking them to artifacts, can never be changed or
deleted (the model and queryset layer refuse, the admin is read-only), so nothing a
student handed in is ever lost or rewritten.
"""

import datetime
import functools
import hashlib
import operator
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import BigIntegerField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import LessThan

from cohorts.models import Cohort, Extension
from cohorts.policies import is_platform_admin
from cohorts.selectors import TeachingScope, teaching_scope, teaching_scope_parts
from curriculum.models import CapstoneDeliverable, Week


class ImmutableError(Exception):
    """Raised on any attempt to change or delete a frozen record."""


# The one exception to immutability: a learner's erasure (privacy app) scrubs the content of
# their frozen revisions. Only `submissions.privacy` enters this scope (a test checks that no
# other module names it), and only for the rows of the person being erased.
_erasure_scope: ContextVar[frozenset[int] | None] = ContextVar("submissions_erasure_scope", default=None)


@contextmanager
def _erasure_rewrite(*, work_ids: frozenset[int]) -> Iterator[None]:
    token = _erasure_scope.set(work_ids)
    try:
        yield
    finally:
        _erasure_scope.reset(token)


def _erasure_allows(work_id: int | None) -> bool:
    scope = _erasure_scope.get()
    return scope is not None and work_id in scope


# A typed NULL: UNION ALL needs the same column types in every part.
_NO_ID = Cast(Value(None), BigIntegerField())


class WeeklyWorkQuerySet(models.QuerySet):
    def for_student(self, student, cohort: Cohort) -> "WeeklyWorkQuerySet":
        return self.filter(student=student, cohort=cohort)

    def visible_to(self, user) -> "WeeklyWorkQuerySet":
        """policies.can_view_work as one filter, for lists: the student's own work, every work
        of the cohorts the user instructs, and the work of the students they mentor in that
        cohort; all of it for a platform admin.

        Who the user teaches, and whether they have work of their own, is read first (one
        small query, run when this is called) and the filter names the answers as values.
        Written with subqueries, "own OR instructed OR mentored" could only be checked row by
        row, and PostgreSQL walked the primary key of every work in the database to fill one
        page newest first (800,160 rows read for a 30-student cohort's 50). With values each
        part is an index condition on (student, id) or (cohort, id); a list of one part (a
        student's own work, one cohort's) reads its rows in that index's order, and stops
        at the page's end."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        if is_platform_admin(user):
            return self
        own_work = self.model.objects.filter(student_id=user.pk).order_by().distinct()
        own_marker = own_work.values_list(_NO_ID, _NO_ID)
        first, *rest = teaching_scope_parts(user)
        rows = list(first.union(*rest, own_marker, all=True))
        condition = _taught(TeachingScope.from_rows(rows))
        if (None, None) in rows:
            condition |= Q(student_id=user.pk)
        return self.filter(condition)

    def reviewable_by(self, user) -> "WeeklyWorkQuerySet":
        """The works the user reviews as a mentor or instructor (rubrics.policies.
        can_score_as_mentor as one filter): those visible to them, never their own."""
        if not (user.is_authenticated and user.is_active):
            return self.none()
        works = self if is_platform_admin(user) else self.filter(_taught(teaching_scope(user)))
        return works.exclude(student_id=user.pk)


def _taught(scope: TeachingScope) -> Q:
    """The works of a TeachingScope as conditions on values (matching nothing when empty)."""
    condition = Q(pk__in=[])
    if scope.instructed_cohort_ids:
        condition |= Q(cohort_id__in=sorted(scope.instructed_cohort_ids))
    for cohort_id, student_ids in sorted(scope.mentored_student_ids.items()):
        condition |= Q(cohort_id=cohort_id, student_id__in=sorted(student_ids))
    return condition


class WeeklyWork(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        RESUBMITTED = "resubmitted", "Resubmitted"
        ACCEPTED = "accepted", "Accepted"

    EDITABLE_STATES = (State.DRAFT, State.CHANGES_REQUESTED)
    AWAITING_REVIEW_STATES = (State.SUBMITTED, State.RESUBMITTED)

    # Indexed by the composite indexes below, which start with each of them.
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="weekly_works", db_index=False
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="weekly_works", db_index=False)
    week = models.ForeignKey(Week, on_delete=models.PROTECT, null=True, blank=True, related_name="weekly_works")
    deliverable = models.ForeignKey(
        CapstoneDeliverable, on_delete=models.PROTECT, null=True, blank=True, related_name="weekly_works"
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    content = models.JSONField(default=dict, blank=True, help_text="The draft: one JSON object per section.")
    draft_version = models.PositiveIntegerField(
        default=1, help_text="Raised by every saved draft; a save naming an older version is refused."
    )
    draft_saved_at = models.DateTimeField(null=True, blank=True)
    latest_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # Set by the portfolio app (submissions.services.work_mark_published) when the learner
    # publishes an accepted revision; the dashboard then shows the work as "published".
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WeeklyWorkQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "student", "week__number", "deliverable__project__number", "deliverable__order"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(week__isnull=False, deliverable__isnull=True)
                    | models.Q(week__isnull=True, deliverable__isnull=False)
                ),
                name="work_exactly_one_target",
            ),
            models.UniqueConstraint(
                fields=["student", "cohort", "week"],
                condition=models.Q(week__isnull=False),
                name="work_unique_student_cohort_week",
            ),
            models.UniqueConstraint(
                fields=["student", "cohort", "deliverable"],
                condition=models.Q(deliverable__isnull=False),
                name="work_unique_student_cohort_deliverable",
            ),
            models.CheckConstraint(condition=models.Q(draft_version__gte=1), name="work_draft_version_positive"),
        ]
        indexes = [
            models.Index(fields=["cohort", "state"]),
            # Lists are newest first (-pk) within what visible_to names: a student's own work,
            # a cohort's, or a cohort's mentored students. These let each part read its rows in
            # that order instead of walking every work's primary key.
            models.Index(fields=["student", "id"], name="work_student_newest"),
            models.Index(fields=["cohort", "id"], name="work_cohort_newest"),
            # A gradebook cell's state inputs, read per student by work_status_q's counting
            # filters (missing, not started, draft) from the index alone: the table's rows are
            # wide (the draft's content), and 3,334 students × their works read from the heap
            # cost most of a filtered page.
            models.Index(
                fields=["student", "cohort"],
                include=["week", "deliverable", "latest_revision", "state", "published_at"],
                name="work_grid_cells",
            ),
            # The at-risk rules and the gradebook's whole-cohort figures read every work of one
            # cohort (its id, student, week and latest revision) from the index alone.
            models.Index(
                fields=["cohort", "student"],
                include=["id", "week", "deliverable", "latest_revision"],
                name="work_cohort_cells",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.target_label}"

    @property
    def is_capstone(self) -> bool:
        return self.deliverable_id is not None

    @property
    def target_label(self) -> str:
        if self.week_id:
            return self.target_label_of(week_number=self.week.number, week_title=self.week.title)
        return self.target_label_of(deliverable_title=self.deliverable.title)

    @staticmethod
    def target_label_of(*, week_number: int | None = None, week_title: str = "", deliverable_title: str = "") -> str:
        """target_label from the columns, for reads that load values instead of rows."""
        if week_number is not None:
            return f"Week {week_number}: {week_title}"
        return f"Capstone: {deliverable_title}"

    @property
    def due_week(self) -> Week:
        """The week whose due date applies (a deliverable's due week)."""
        return self.week if self.week_id else self.deliverable.due_week

    @property
    def is_editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    @property
    def display_state(self) -> str:
        """What the dashboard shows: the review state, or "published" once published."""
        return self.display_state_of(self.state, self.published_at)

    @classmethod
    def display_state_of(cls, state: str, published_at) -> str:
        """display_state from the two columns, for reads that load values instead of rows."""
        return "published" if state == cls.State.ACCEPTED and published_at else state


@dataclass(frozen=True)
class WorkStatus:
    """What a grid cell (gradebook, cohort report, exports) says about one student's work for
    one week or deliverable."""

    key: str
    label: str
    letter: str  # the one-letter mark of a compact grid (the heatmap's swatch)
    tone: str  # the badge colour on pages
    meaning: str = ""  # said in legends where the label alone is not enough
    # The cohort report writes this status as its label, not its letter: "Missing" is what the
    # gradebook says, and an "X" reads as a cross (or "ex" to a screen reader).
    spelled_out: bool = False

    @property
    def mark(self) -> str:
        """The cohort report's cell (CSV, HTML and PDF): the letter, or the label itself."""
        return self.label if self.spelled_out else self.letter


# The one definition of the work-state labels, in legend order.
WORK_STATUSES: dict[str, WorkStatus] = {
    status.key: status
    for status in (
        WorkStatus("draft", "Draft", "D", ""),
        WorkStatus("submitted", "Submitted", "S", "warn"),
        WorkStatus("changes_requested", "Changes requested", "C", "danger"),
        WorkStatus("resubmitted", "Resubmitted", "R", "warn"),
        WorkStatus("accepted", "Accepted", "A", "ok"),
        WorkStatus("published", "Published", "P", "ok"),
        WorkStatus(
            "missing", "Missing", "X", "warn", "past due with nothing submitted, extensions applied", spelled_out=True
        ),
        WorkStatus("not_started", "Not started", "·", "", "not yet due"),
    )
}


def work_status(*, display_state: str | None, submitted: bool, past_due: bool) -> WorkStatus:
    """Missing when nothing was submitted by the due date (a draft included); not started when
    there is no work yet; otherwise the work's display state."""
    if past_due and not submitted:
        return WORK_STATUSES["missing"]
    if display_state is None:
        return WORK_STATUSES["not_started"]
    return WORK_STATUSES[display_state]


@dataclass(frozen=True)
class StatusTarget:
    """One grid column as work_status_q needs it: a week (or a capstone deliverable), the week
    it is due in and that week's regular due instant."""

    week_id: int | None
    deliverable_id: int | None
    due_week_id: int
    regular_due_at: datetime.datetime


def work_status_q(
    *, status: str, cohort: Cohort, targets: list[StatusTarget], now: datetime.datetime, student_ref: str = "pk"
) -> Q:
    """work_status in SQL, for filtering students: "the student (OuterRef(student_ref)) has at
    least one cell with this status" among the targets, extensions applied. It makes the same
    decision as work_status, cell for cell (tests/insights/test_gradebook.py checks both
    against every cell of a fixture), so a filtered list and its cells never disagree."""
    student = OuterRef(student_ref)
    works = WeeklyWork.objects.filter(cohort=cohort, student_id=student)
    if status not in ("draft", "missing", "not_started"):
        # A work leaves draft only by being submitted, so a work in a review state has a
        # revision and its cell shows that state whatever the due date: one EXISTS per student
        # instead of one per column.
        in_state = works.filter(
            Q(week_id__in=[t.week_id for t in targets if t.week_id])
            | Q(deliverable_id__in=[t.deliverable_id for t in targets if t.deliverable_id]),
            state=WeeklyWork.State.ACCEPTED if status == "published" else status,
            latest_revision__isnull=False,
        )
        if status in ("accepted", "published"):
            in_state = in_state.filter(published_at__isnull=status == "accepted")
        return Q(Exists(in_state))
    # Missing, not started and draft depend on each column's due date, extensions applied.
    # Testing each column per student (three EXISTS × 33 columns × every student) took 22 s on
    # 3,334 students; instead the students are grouped by which columns are past due for them
    # (everyone shares the regular due dates; the few with extensions get their own groups, read
    # in one query), and each group asks one counting question per student.
    overrides: dict[int, dict[int, datetime.datetime]] = {}
    for student_id, week_id, due_at in (
        Extension.objects.filter(cohort=cohort).order_by().values_list("student_id", "week_id", "due_at")
    ):
        overrides.setdefault(student_id, {})[week_id] = due_at

    def past_due_flags(extended: dict[int, datetime.datetime]) -> tuple[bool, ...]:
        return tuple(now > extended.get(t.due_week_id, t.regular_due_at) for t in targets)

    regular = past_due_flags({})
    groups: dict[tuple[bool, ...], list[int]] = {}
    for student_id, extended in overrides.items():
        flags = past_due_flags(extended)
        if flags != regular:
            groups.setdefault(flags, []).append(student_id)
    conditions = [
        ~Q(**{f"{student_ref}__in": [i for ids in groups.values() for i in ids]})
        & _cells_in_status(status, works, targets, regular)
    ]
    for flags, student_ids in groups.items():
        conditions.append(Q(**{f"{student_ref}__in": student_ids}) & _cells_in_status(status, works, targets, flags))
    return functools.reduce(operator.or_, conditions)


def _columns_q(targets: list[StatusTarget]) -> Q:
    weeks = [t.week_id for t in targets if t.week_id]
    deliverables = [t.deliverable_id for t in targets if t.deliverable_id]
    return Q(week_id__in=weeks) | Q(deliverable_id__in=deliverables)


def _cells_in_status(status: str, works: models.QuerySet, targets: list[StatusTarget], past_due: tuple[bool, ...]) -> Q:
    """For students whose past-due columns are `past_due` (one flag per target): has at least
    one cell in `status` (missing, not started or draft), as work_status decides it."""
    past = [t for t, flag in zip(targets, past_due, strict=True) if flag]
    open_ = [t for t, flag in zip(targets, past_due, strict=True) if not flag]

    def fewer_than(counted: models.QuerySet, expected: int) -> Q:
        # Each column has at most one work per student (a unique constraint), so "fewer works
        # than columns" is "some column without one".
        number = counted.order_by().values("student_id").annotate(n=models.Count("*")).values("n")
        return Q(LessThan(Coalesce(models.Subquery(number), 0), expected))

    if status == "missing":  # a past-due column with nothing submitted
        return (
            fewer_than(works.filter(_columns_q(past), latest_revision__isnull=False), len(past))
            if past
            else Q(pk__in=[])
        )
    if status == "not_started":  # a column not yet due without any work
        return fewer_than(works.filter(_columns_q(open_)), len(open_)) if open_ else Q(pk__in=[])
    # draft (and, for completeness, any state): a work in the state whose cell shows it, i.e.
    # submitted, or not past due
    in_state = works.filter(state=WeeklyWork.State.ACCEPTED if status == "published" else status)
    if status in ("accepted", "published"):
        in_state = in_state.filter(published_at__isnull=status == "accepted")
    shown = Q(_columns_q(targets), latest_revision__isnull=False) | _columns_q(open_)
    return Q(Exists(in_state.filter(shown)))


def work_status_legend() -> str:
    """The marks as the cohort report's legend gives them: "A accepted", and a status spelled
    out in full ("Missing") as itself."""
    return ", ".join(
        (s.label if s.spelled_out else f"{s.letter} {s.label.lower()}") + (f" ({s.meaning})" if s.meaning else "")
        for s in WORK_STATUSES.values()
    )


class ImmutableQuerySet(models.QuerySet):
    """Bulk changes would bypass the per-row guard, so they are refused outright."""

    def update(self, **kwargs):
        raise ImmutableError(f"{self.model.__name__} rows are immutable and cannot be updated.")

    def delete(self):
        raise ImmutableError(f"{self.model.__name__} rows are immutable and cannot be deleted.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise ImmutableError(f"{self.model.__name__} rows are immutable and cannot be updated.")

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        raise ImmutableError(f"{self.model.__name__} rows are immutable and cannot be updated.")


class ImmutableModel(models.Model):
    """Rows can be inserted once and never saved again or deleted."""

    class Meta:
        abstract = True

    #: The fields an erasure may scrub (see `_erasure_rewrite`); none elsewhere.
    ERASABLE_FIELDS: frozenset[str] = frozenset()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if (
                update_fields
                and not set(update_fields) - self.ERASABLE_FIELDS
                and _erasure_allows(self._erasure_work_id())
            ):
                super().save(*args, **kwargs)
                return
            raise ImmutableError(f"{type(self).__name__} {self.pk} is immutable and cannot be changed.")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError(f"{type(self).__name__} {self.pk} is immutable and cannot be deleted.")

    def _erasure_work_id(self) -> int | None:
        return None


class Revision(ImmutableModel):
    """A frozen, numbered submission of a work: content and artifacts as they were."""

    work = models.ForeignKey(WeeklyWork, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    content = models.JSONField(help_text="Snapshot of every section, the retrospective and risk log at submit.")
    note = models.TextField(blank=True, help_text="What changed in response to feedback.")
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="The effective due instant (extensions applied) at submission.")
    is_late = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    artifacts = models.ManyToManyField("Artifact", through="RevisionArtifact", related_name="revisions")

    ERASABLE_FIELDS = frozenset({"content", "note"})

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["work", "number"]
        constraints = [
            models.UniqueConstraint(fields=["work", "number"], name="revision_work_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="revision_number_positive"),
        ]
        # Revisions per work and a revision's work (the latest mentor score's joins) read from
        # the index alone: the table's rows are wide (the submitted content), and a cohort's
        # 90,000 revisions read from the heap cost most of the at-risk rules' time.
        indexes = [models.Index(fields=["work", "id"], name="revision_work_ids")]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.work_id}"

    def _erasure_work_id(self) -> int | None:
        return self.work_id


class ArtifactQuerySet(models.QuerySet):
    def attached(self) -> "ArtifactQuerySet":
        """Artifacts currently part of the draft (not removed from it)."""
        return self.filter(detached_at__isnull=True)

    def delete(self):
        raise ImmutableError("Artifacts are removed one by one through submissions.services.artifact_remove.")

    def update(self, **kwargs):
        if set(kwargs) - {"detached_at"}:
            raise ImmutableError("Artifacts are immutable except for being detached from the draft.")
        return super().update(**kwargs)


class Artifact(models.Model):
    """An evidence file or link. Content fields never change after upload; an artifact
    that any revision froze is never deleted (removing it from the draft only detaches it)."""

    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"

    MUTABLE_FIELDS = frozenset({"detached_at"})
    ERASABLE_FIELDS = frozenset({"file", "url", "original_name", "proves", "erased_at"})

    work = models.ForeignKey(WeeklyWork, on_delete=models.PROTECT, related_name="artifacts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(max_length=255, blank=True, help_text="Stored under a random name.")
    url = models.URLField(max_length=1000, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100, blank=True, help_text="Detected from the content.")
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    proves = models.CharField(max_length=300, help_text="What this evidence proves.")
    evidence_item = models.CharField(
        max_length=500, blank=True, help_text="The required evidence line (from the lab) this satisfies, if any."
    )
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    detached_at = models.DateTimeField(null=True, blank=True, help_text="Removed from the draft at this instant.")
    erased_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Its file or link was erased with its uploader's data."
    )

    objects = ArtifactQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["work", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="file", url="") & (~models.Q(file="") | models.Q(erased_at__isnull=False))
                    | models.Q(kind="link", file="") & (~models.Q(url="") | models.Q(erased_at__isnull=False))
                ),
                name="artifact_file_xor_link",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name or self.url

    def save(self, *args, **kwargs):
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            allowed = self.MUTABLE_FIELDS | (self.ERASABLE_FIELDS if _erasure_allows(self.work_id) else frozenset())
            if update_fields is None or set(update_fields) - allowed:
                raise ImmutableError("An artifact's content and tags never change after upload.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if RevisionArtifact.objects.filter(artifact_id=self.pk).exists():
            raise ImmutableError("This artifact is part of a submitted revision and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        if self.erased_at:
            return "Erased evidence"
        return self.original_name if self.kind == self.Kind.FILE else self.url


class RevisionArtifact(ImmutableModel):
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="revision_artifacts")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="revision_links")

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(fields=["revision", "artifact"], name="revision_artifact_unique"),
        ]

    def __str__(self) -> str:
        return f"Artifact {self.artifact_id} in revision {self.revision_id}"


class RiskEntry(models.Model):
    class Kind(models.TextChoices):
        DEFECT = "defect", "Defect"
        RISK = "risk", "Risk"

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="risk_entries")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="risk_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    week_opened = models.ForeignKey(Week, on_delete=models.PROTECT, related_name="+")
    week_closed = models.ForeignKey(Week, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    resolution = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "student", "week_opened__number", "pk"]
        verbose_name_plural = "risk entries"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(status="open", week_closed__isnull=True)
                    | models.Q(status="closed", week_closed__isnull=False)
                ),
                name="risk_closed_has_week",
            ),
        ]
        indexes = [models.Index(fields=["student", "cohort"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


# "Retrospective done" is one rule for the dashboard, the reports and the reminders: all three
# of retain, improve and scale written (the curriculum asks for each). A field counts as
# written when it holds a non-space character; the same pattern runs in Python (is_done) and
# in SQL (RetrospectiveQuerySet.done), so the two forms cannot disagree.
RETROSPECTIVE_FIELDS = ("retain", "improve", "scale")
_WRITTEN = r"\S"


class RetrospectiveQuerySet(models.QuerySet):
    def done(self) -> "RetrospectiveQuerySet":
        """Retrospectives with all three fields written."""
        return self.filter(**{f"{name}__regex": _WRITTEN for name in RETROSPECTIVE_FIELDS})


class Retrospective(models.Model):
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="retrospectives")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="retrospectives")
    week = models.ForeignKey(Week, on_delete=models.PROTECT, related_name="+")
    retain = models.TextField(blank=True, help_text="What worked and should be kept.")
    improve = models.TextField(blank=True, help_text="What to do better next week.")
    scale = models.TextField(blank=True, help_text="What to apply more widely from now on.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RetrospectiveQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "student", "week__number"]
        constraints = [
            models.UniqueConstraint(fields=["student", "cohort", "week"], name="retrospective_unique"),
        ]

    def __str__(self) -> str:
        return f"Retrospective of {self.student}, week {self.week.number}"

    @property
    def is_done(self) -> bool:
        """All three fields written (see RETROSPECTIVE_FIELDS)."""
        return all(re.search(_WRITTEN, getattr(self, name)) for name in RETROSPECTIVE_FIELDS)


# --- Improve items carried into the next week -------------------------------------------------

# The retrospective's "improve" field is the student's list of what to do better "into the
# following week". Each item is one list entry (a line starting with -, *, + or "1.", with its
# continuation lines) or, where the student wrote no list, one paragraph. An item is known by a
# digest of its text (case and spacing ignored), so reordering or re-saving the retrospective
# keeps a status that was set; an item whose wording changed is a new item.
_LIST_MARK = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+")
IMPROVE_ITEMS_MAX = 20  # a retrospective pasted with hundreds of lines must not flood the page
IMPROVE_ITEM_TEXT_MAX = 500
IMPROVE_NOTE_MAX = 500


def improve_item_key(text: str) -> str:
    return hashlib.sha256(" ".join(text.lower().split()).encode()).hexdigest()[:16]


def improve_items_of(text: str) -> list[tuple[str, str]]:
    """The items of a retrospective's improve field as (key, text), in the order written,
    without repeats, at most IMPROVE_ITEMS_MAX of IMPROVE_ITEM_TEXT_MAX characters each."""
    items: list[list[str]] = []
    open_item = False
    for line in (text or "").splitlines():
        if not line.strip():
            open_item = False
            continue
        marked = _LIST_MARK.match(line)
        if marked or not open_item:
            items.append([line[marked.end() :].strip() if marked else line.strip()])
            open_item = True
        else:
            items[-1].append(line.strip())
    result: list[tuple[str, str]] = []
    seen: set[str] = set()
    for parts in items:
        joined = " ".join(part for part in parts if part)[:IMPROVE_ITEM_TEXT_MAX].strip()
        key = improve_item_key(joined)
        if joined and key not in seen:
            seen.add(key)
            result.append((key, joined))
    return result[:IMPROVE_ITEMS_MAX]


class ImproveItemStatus(models.Model):
    """What a student says became of one improve item, in the week after it was written (or a
    later week it was carried into). A row exists only once the student set a status: showing
    the items reads them from the retrospective and writes nothing."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        CARRIED = "carried", "Carried forward"
        DROPPED = "dropped", "Dropped"

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    week = models.ForeignKey(Week, on_delete=models.PROTECT, related_name="+", help_text="The week it was reviewed in.")
    origin_week = models.ForeignKey(
        Week, on_delete=models.PROTECT, related_name="+", help_text="The week whose retrospective named it."
    )
    key = models.CharField(max_length=16, help_text="improve_item_key of the text.")
    text = models.TextField(
        max_length=IMPROVE_ITEM_TEXT_MAX, help_text="The item as written, kept so a carried item outlives edits."
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.TextField(max_length=IMPROVE_NOTE_MAX, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["cohort", "student", "week__number", "origin_week__number", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["student", "cohort", "week", "key"], name="improve_status_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.text[:40]}"


class EvidencePreview(models.Model):
    """What pages show of an evidence file instead of the file itself: a thumbnail we decoded
    and re-encoded (an image, or the first page of a PDF), or the start of a text file
    highlighted as escaped HTML. Built in the background by submissions.previews; derived
    from the artifact, so it goes with it (and with its erasure)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        UNSUPPORTED = "unsupported", "No preview for this type"

    class Kind(models.TextChoices):
        NONE = "", "None"
        IMAGE = "image", "Image"
        TEXT = "text", "Text"

    artifact = models.OneToOneField(Artifact, on_delete=models.CASCADE, related_name="preview")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    kind = models.CharField(max_length=8, choices=Kind.choices, blank=True)
    image = models.FileField(max_length=255, blank=True, help_text="The re-encoded thumbnail, under a random name.")
    image_type = models.CharField(max_length=20, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    text_html = models.TextField(blank=True, help_text="Pygments' highlighted, escaped HTML of the first lines.")
    text_lines = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False, help_text="Only the start of the text is shown.")
    failure = models.CharField(max_length=300, blank=True, help_text="Why there is no preview.")
    generator = models.PositiveSmallIntegerField(default=0, help_text="The preview code's version that built it.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="ready") | ~models.Q(kind=""), name="evidence_preview_ready_has_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"Preview of artifact {self.artifact_id} ({self.status})"
