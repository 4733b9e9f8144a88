from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class BloomLevel(models.Model):
    """A level of the revised Bloom taxonomy; rank 1 (remember) to 6 (create)."""

    key = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=40)
    rank = models.PositiveSmallIntegerField(unique=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class BloomVerbQuerySet(models.QuerySet):
    def as_mapping(self) -> dict[str, "BloomLevel"]:
        return {row.verb.lower(): row.level for row in self.select_related("level")}


class BloomVerb(models.Model):
    """The editable verb → level table that classifies objectives on import."""

    verb = models.CharField(max_length=40, unique=True, help_text="Stored in lower case, e.g. “justify”.")
    level = models.ForeignKey(BloomLevel, on_delete=models.PROTECT, related_name="verbs")
    history = HistoricalRecords()

    objects = BloomVerbQuerySet.as_manager()

    class Meta:
        ordering = ["level__rank", "verb"]

    def __str__(self) -> str:
        return f"{self.verb.capitalize()} → {self.level.name}"

    def save(self, *args, **kwargs):
        self.verb = self.verb.strip().lower()
        super().save(*args, **kwargs)


class CourseQuerySet(models.QuerySet):
    def latest_versions(self) -> "CourseQuerySet":
        """The newest version of each course."""
        newest = Course.objects.filter(slug=models.OuterRef("slug")).order_by("-version").values("pk")[:1]
        return self.filter(pk=models.Subquery(newest))


class Course(models.Model):
    """One version of a course. Cohorts are pinned to a version, so later edits made
    as a new version never change what a running cohort is held to."""

    slug = models.SlugField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    introduction = models.TextField(blank=True)
    source_name = models.CharField(max_length=200, blank=True, help_text="The document this version was imported from.")
    source_sha256 = models.CharField(max_length=64, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-version"]
        constraints = [models.UniqueConstraint(fields=["slug", "version"], name="course_slug_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


WEEKS_PER_PHASE = 8
PHASES = 3


class WeekQuerySet(models.QuerySet):
    def for_course(self, course: Course) -> "WeekQuerySet":
        return self.filter(course=course).order_by("number")

    def in_phase(self, phase: int) -> "WeekQuerySet":
        """The weeks whose Week.phase is `phase` (the last phase takes any weeks beyond)."""
        weeks = self.filter(number__gte=(phase - 1) * WEEKS_PER_PHASE + 1)
        return weeks if phase >= PHASES else weeks.filter(number__lte=phase * WEEKS_PER_PHASE)


class Week(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    progression_note = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why this week deliberately steps down in Bloom level; the lint then accepts it.",
    )
    history = HistoricalRecords()

    objects = WeekQuerySet.as_manager()

    class Meta:
        ordering = ["course", "number"]
        constraints = [
            models.UniqueConstraint(fields=["course", "number"], name="week_course_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="week_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Week {self.number}: {self.title}"

    @property
    def phase(self) -> int:
        """The course's three phases of eight weeks each (1–3), used to group pages."""
        return min(PHASES, (self.number - 1) // WEEKS_PER_PHASE + 1)


class Objective(models.Model):
    class Kind(models.TextChoices):
        OUTCOME = "outcome", "Outcome"
        ROUTINE = "routine", "Routine"

    week = models.ForeignKey(Week, on_delete=models.CASCADE, related_name="objectives")
    order = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    verb = models.CharField(max_length=40, help_text="The leading verb, e.g. “Analyze”.")
    text = models.TextField(help_text="The whole objective as the learner reads it.")
    bloom_level = models.ForeignKey(
        BloomLevel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="Follows the verb through the Bloom verb mapping unless overridden; routines have none.",
    )
    bloom_level_overridden = models.BooleanField(
        "override level",
        default=False,
        help_text="Tick to keep the level chosen here instead of the one the verb maps to.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["week", "order"]
        constraints = [models.UniqueConstraint(fields=["week", "order"], name="objective_week_order_unique")]

    def __str__(self) -> str:
        return self.text[:80]


class Lab(models.Model):
    """The week's guided scenario."""

    week = models.OneToOneField(Week, on_delete=models.CASCADE, related_name="lab")
    title = models.CharField(max_length=200)
    scenario = models.TextField()
    tools = models.TextField(help_text="One tool per line.")
    constraints = models.TextField(help_text="One constraint per line.")
    expected_evidence = models.TextField(blank=True, help_text="One expected piece of evidence per line.")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Browsers send textarea line breaks as CRLF; store LF so an unchanged form saves
        # nothing new and the edit history records no phantom change.
        for name in ("scenario", "tools", "constraints", "expected_evidence"):
            setattr(self, name, getattr(self, name).replace("\r\n", "\n"))

    @property
    def tool_list(self) -> list[str]:
        return [line.strip() for line in self.tools.splitlines() if line.strip()]

    @property
    def constraint_list(self) -> list[str]:
        return [line.strip() for line in self.constraints.splitlines() if line.strip()]

    @property
    def evidence_list(self) -> list[str]:
        return [line.strip() for line in self.expected_evidence.splitlines() if line.strip()]


class QualityGate(models.Model):
    """A measurable pass/fail condition of a lab, e.g. “p95 under 50 ms at 200 req/s”."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="quality_gates")
    order = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=300)
    history = HistoricalRecords()

    class Meta:
        ordering = ["lab", "order"]
        constraints = [models.UniqueConstraint(fields=["lab", "order"], name="quality_gate_lab_order_unique")]

    def __str__(self) -> str:
        return self.text


class CapstoneProject(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="capstone_projects")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["course", "number"]
        constraints = [models.UniqueConstraint(fields=["course", "number"], name="capstone_course_number_unique")]

    def __str__(self) -> str:
        return f"Project {self.number}: {self.title}"


class CapstoneDeliverable(models.Model):
    project = models.ForeignKey(CapstoneProject, on_delete=models.CASCADE, related_name="deliverables")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    # RESTRICT, not PROTECT: a week can't vanish under a deliverable, but deleting the whole
    # course (which removes both) is allowed.
    due_week = models.ForeignKey(
        Week,
        on_delete=models.RESTRICT,
        related_name="capstone_deliverables_due",
        help_text="The week whose due date this deliverable shares.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "order"]
        constraints = [models.UniqueConstraint(fields=["project", "order"], name="deliverable_project_order_unique")]

    def __str__(self) -> str:
        return self.title


class ImportBaseline(models.Model):
    """What the last import wrote into one record, field by field: the base of the three-way
    merge that lets a re-import apply the file's changes without undoing an admin's edits.

    `record` names the record by its place in the document ("week:3/objective:1"), the same
    identity the import matches records by, so the base survives renumbered primary keys.
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="import_baselines")
    record = models.CharField(max_length=80)
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "record"], name="import_baseline_unique")]

    def __str__(self) -> str:
        return f"{self.course} {self.record}"


class ImportConflictQuerySet(models.QuerySet):
    def open(self) -> "ImportConflictQuerySet":
        return self.filter(resolution="")


class ImportConflict(models.Model):
    """A field that both an admin and the customer's file changed since the last import.
    The admin's value stays until someone chooses (here in the admin, or `--take-file`)."""

    class Resolution(models.TextChoices):
        OPEN = "", "Open"
        KEPT = "kept", "Kept the admin's value"
        TOOK_FILE = "took_file", "Took the file's value"
        GONE = "gone", "No longer in conflict"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="import_conflicts")
    record = models.CharField(max_length=80)
    field = models.CharField(max_length=40)
    label = models.CharField(max_length=200, help_text="Where it is, e.g. “Week 3, objective 1”.")
    line = models.PositiveIntegerField(null=True, blank=True, help_text="The line in the imported file.")
    source_name = models.CharField(max_length=200)
    admin_value = models.TextField(blank=True)
    file_value = models.TextField(blank=True)
    detected_at = models.DateTimeField()
    resolution = models.CharField(max_length=10, choices=Resolution.choices, default="", blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    objects = ImportConflictQuerySet.as_manager()

    class Meta:
        ordering = ["course", "detected_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "record", "field"],
                condition=models.Q(resolution=""),
                name="import_conflict_one_open_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}, {self.field_name}: import conflict"

    @property
    def field_name(self) -> str:
        return self.field.replace("_", " ")
