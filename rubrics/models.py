"""Rubrics and their versions, assessments of revisions, peer review and calibration.

A rubric is identified by its `family` (a slug) and a version number. The first time an
assessment uses a version it is frozen (`frozen_at`); a frozen version is never edited
again: changing it goes through `rubrics.services.rubric_new_version`, which copies it to
version n+1 and moves the attachments there, while old assessments keep pointing at the
version they used.

The freeze is enforced here, like the immutability of revisions: once `frozen_at` is set,
saving or deleting the rubric, adding, changing or deleting its criteria or levels, and the
queryset paths around `save()` (`update()`, `delete()`, `bulk_create()`, `bulk_update()`)
raise `submissions.models.ImmutableError`. Each guard locks the rubric rows it checks, so a
version cannot freeze between the check and the write (`rubrics.services` takes the same
lock before it reads the levels it scores with). Setting `frozen_at` itself, and attaching
a frozen version (`RubricAttachment`), stay allowed.
"""

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import RowNumber

from cohorts.models import Cohort
from curriculum.models import CapstoneDeliverable, Course, Objective, Week
from submissions.models import ImmutableError, Revision, WeeklyWork


def _refuse_if_frozen(rubrics: "models.QuerySet[Rubric]", change: str) -> None:
    """Lock these rubric rows and raise ImmutableError if one is frozen. Call it inside the
    transaction that then writes, so the lock holds until the write commits."""
    states = rubrics.select_for_update().values_list("title", "version", "frozen_at")
    frozen = [f"{title} (v{version})" for title, version, frozen_at in states if frozen_at is not None]
    if frozen:
        verb = "is" if len(frozen) == 1 else "are"
        raise ImmutableError(
            f"{', '.join(frozen)} {verb} frozen: assessments have used this version, so {change} would change "
            "what their scores mean. Edit a new version instead (the admin's “Create a new version (copy)” "
            "action, rubrics.services.rubric_new_version)."
        )


def _rubrics_of_criteria(criteria: models.Q | Iterable[int] | models.QuerySet) -> "models.QuerySet[Rubric]":
    """The rubrics of some criteria: a Q on Criterion, or criterion ids (a list or a subquery)."""
    if not isinstance(criteria, models.Q):
        criteria = models.Q(pk__in=criteria)
    return Rubric.objects.filter(pk__in=Criterion.objects.filter(criteria).values("rubric_id"))


def _target_pk(value) -> int | None:
    """The primary key an update() assigns to a foreign key, unless it is an expression
    (bulk_update() assigns a Case per row); those are checked after the write."""
    if value is None or hasattr(value, "resolve_expression"):
        return None
    return getattr(value, "pk", value)


def _pks(objs: Iterable[models.Model]) -> list[int]:
    return [obj.pk for obj in objs if obj.pk is not None]


class RubricQuerySet(models.QuerySet):
    def latest_versions(self) -> "RubricQuerySet":
        newest = Rubric.objects.filter(family=models.OuterRef("family")).order_by("-version").values("pk")[:1]
        return self.filter(pk=models.Subquery(newest))

    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(Rubric.objects.filter(pk__in=self.values("pk")), "changing it")
            return super().update(**kwargs)

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(Rubric.objects.filter(pk__in=self.values("pk")), "deleting it")
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        if not kwargs.get("update_conflicts"):
            return super().bulk_create(objs, *args, **kwargs)
        same_version = models.Q(pk__in=_pks(objs))
        for obj in objs:
            same_version |= models.Q(family=obj.family, version=obj.version)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(Rubric.objects.filter(same_version), "overwriting it")
            return super().bulk_create(objs, *args, **kwargs)

    # bulk_update() goes through update(), which checks again; checking first as well means a
    # refusal is raised outside its savepoint-less block and leaves the caller's transaction usable.
    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(Rubric.objects.filter(pk__in=_pks(objs)), "changing it")
            return super().bulk_update(objs, fields, *args, **kwargs)


class CriterionQuerySet(models.QuerySet):
    # An update that moves criteria is checked before the write and again after it (for a
    # target that is an expression).
    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            _refuse_if_frozen(_rubrics_of_criteria(pks), "changing its criteria")
            if (target := _target_pk(kwargs.get("rubric", kwargs.get("rubric_id")))) is not None:
                _refuse_if_frozen(Rubric.objects.filter(pk=target), "adding criteria")
            updated = super().update(**kwargs)
            if {"rubric", "rubric_id"} & set(kwargs):
                _refuse_if_frozen(_rubrics_of_criteria(pks), "adding criteria")
            return updated

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria(self.values("pk")), "deleting its criteria")
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(Rubric.objects.filter(pk__in={obj.rubric_id for obj in objs}), "adding criteria")
            if kwargs.get("update_conflicts"):
                _refuse_if_frozen(_rubrics_of_criteria(_pks(objs)), "changing its criteria")
            return super().bulk_create(objs, *args, **kwargs)

    # Checked up front as well as by update(), as for rubrics.
    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria(_pks(objs)), "changing its criteria")
            _refuse_if_frozen(Rubric.objects.filter(pk__in={obj.rubric_id for obj in objs}), "adding criteria")
            return super().bulk_update(objs, fields, *args, **kwargs)


class LevelQuerySet(models.QuerySet):
    # As for criteria: moves are checked before and after the write.
    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            criteria = Level.objects.filter(pk__in=pks).values("criterion_id")
            _refuse_if_frozen(_rubrics_of_criteria(criteria), "changing its levels")
            if (target := _target_pk(kwargs.get("criterion", kwargs.get("criterion_id")))) is not None:
                _refuse_if_frozen(_rubrics_of_criteria([target]), "adding levels")
            updated = super().update(**kwargs)
            if {"criterion", "criterion_id"} & set(kwargs):
                _refuse_if_frozen(_rubrics_of_criteria(criteria), "adding levels")
            return updated

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria(self.values("criterion_id")), "deleting its levels")
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria({obj.criterion_id for obj in objs}), "adding levels")
            if kwargs.get("update_conflicts"):
                existing = Level.objects.filter(pk__in=_pks(objs)).values("criterion_id")
                _refuse_if_frozen(_rubrics_of_criteria(existing), "changing its levels")
            return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            existing = Level.objects.filter(pk__in=_pks(objs)).values("criterion_id")
            _refuse_if_frozen(_rubrics_of_criteria(existing), "changing its levels")
            _refuse_if_frozen(_rubrics_of_criteria({obj.criterion_id for obj in objs}), "adding levels")
            return super().bulk_update(objs, fields, *args, **kwargs)


class Rubric(models.Model):
    family = models.SlugField(max_length=80, help_text="Every version of one rubric shares this slug.")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    frozen_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Set when an assessment first used this version."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RubricQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["family", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="rubric_family_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="rubric_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args, **kwargs):
        if self.pk is None:
            return super().save(*args, **kwargs)
        with transaction.atomic():
            _refuse_if_frozen(Rubric.objects.filter(pk=self.pk), "changing it")
            return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_frozen(Rubric.objects.filter(pk=self.pk), "deleting it")
            return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class Criterion(models.Model):
    rubric = models.ForeignKey(Rubric, on_delete=models.CASCADE, related_name="criteria")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1, help_text="Relative weight in the overall score.")

    objects = CriterionQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["rubric", "order"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["rubric", "order"], name="criterion_rubric_order_unique"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # The rubric it goes to, and the one it leaves when it moves.
        rubrics = Rubric.objects.filter(
            models.Q(pk=self.rubric_id) | models.Q(pk__in=Criterion.objects.filter(pk=self.pk).values("rubric_id"))
        )
        with transaction.atomic():
            _refuse_if_frozen(rubrics, "adding criteria" if self._state.adding else "changing its criteria")
            return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_frozen(_rubrics_of_criteria([self.pk]), "deleting its criteria")
            return super().delete(*args, **kwargs)


class Level(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=60)
    points = models.PositiveSmallIntegerField()
    descriptor = models.TextField(help_text="What work at this level looks like.")

    objects = LevelQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["criterion", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "order"], name="level_criterion_order_unique"),
            models.UniqueConstraint(fields=["criterion", "points"], name="level_criterion_points_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.points})"

    def save(self, *args, **kwargs):
        # The criterion it goes to, and the one it leaves when it moves.
        criteria = models.Q(pk=self.criterion_id) | models.Q(
            pk__in=Level.objects.filter(pk=self.pk).values("criterion_id")
        )
        with transaction.atomic():
            _refuse_if_frozen(
                _rubrics_of_criteria(criteria), "adding levels" if self._state.adding else "changing its levels"
            )
            return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_frozen(
                _rubrics_of_criteria(Level.objects.filter(pk=self.pk).values("criterion_id")), "deleting its levels"
            )
            return super().delete(*args, **kwargs)


class CriterionObjectiveQuerySet(models.QuerySet):
    """Links belong to their criterion's rubric version: frozen with it, like its levels."""

    def update(self, **kwargs) -> int:
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria(self.values("criterion_id")), "changing its objective links")
            if (target := _target_pk(kwargs.get("criterion", kwargs.get("criterion_id")))) is not None:
                _refuse_if_frozen(_rubrics_of_criteria([target]), "adding objective links")
            return super().update(**kwargs)

    def delete(self):
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria(self.values("criterion_id")), "removing its objective links")
            return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        with transaction.atomic(using=self.db):
            _refuse_if_frozen(_rubrics_of_criteria({obj.criterion_id for obj in objs}), "adding objective links")
            return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs) -> int:
        objs = list(objs)
        with transaction.atomic(using=self.db):
            existing = CriterionObjective.objects.filter(pk__in=_pks(objs)).values("criterion_id")
            _refuse_if_frozen(_rubrics_of_criteria(existing), "changing its objective links")
            _refuse_if_frozen(_rubrics_of_criteria({obj.criterion_id for obj in objs}), "adding objective links")
            return super().bulk_update(objs, fields, *args, **kwargs)


class CriterionObjective(models.Model):
    """A criterion of a rubric version gives evidence for one of a week's outcome objectives.
    When a mentor accepts the week, the levels of an objective's linked criteria decide (by
    the cohort's MasteryRule) whether the objective is met. Frozen with the rubric version;
    rubric_new_version copies the links."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="objective_links")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="criterion_links")

    objects = CriterionObjectiveQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["objective__week__number", "objective__order", "criterion__order"]
        verbose_name = "criterion ↔ objective link"
        constraints = [
            models.UniqueConstraint(fields=["criterion", "objective"], name="criterion_objective_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion} → {self.objective}"

    def save(self, *args, **kwargs):
        criteria = models.Q(pk=self.criterion_id) | models.Q(
            pk__in=CriterionObjective.objects.filter(pk=self.pk).values("criterion_id")
        )
        with transaction.atomic():
            _refuse_if_frozen(
                _rubrics_of_criteria(criteria),
                "adding objective links" if self._state.adding else "changing its objective links",
            )
            return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            _refuse_if_frozen(
                _rubrics_of_criteria(CriterionObjective.objects.filter(pk=self.pk).values("criterion_id")),
                "removing its objective links",
            )
            return super().delete(*args, **kwargs)

    def clean(self) -> None:
        if self.objective_id and self.objective.kind != Objective.Kind.OUTCOME:
            raise ValidationError({"objective": "Link outcome objectives only: routines are not judged."})


class MasteryRule(models.Model):
    """How a cohort turns the levels of an objective's linked criteria into "met": e.g. every
    linked criterion at 3 points or more (Proficient of 4). A cohort without a row uses
    DEFAULT_MIN_POINTS and EVERY (rubrics.selectors.mastery_rule_for)."""

    DEFAULT_MIN_POINTS = 3

    class Require(models.TextChoices):
        EVERY = "every", "Every linked criterion reaches the level"
        AVERAGE = "average", "The average of the linked criteria reaches the level"

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="mastery_rule")
    min_points = models.PositiveSmallIntegerField(
        default=DEFAULT_MIN_POINTS, help_text="The level's points an objective needs, e.g. 3 (Proficient) of 4."
    )
    require = models.CharField(max_length=10, choices=Require.choices, default=Require.EVERY)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(min_points__gte=1), name="mastery_rule_min_points_positive"),
        ]

    def __str__(self) -> str:
        return f"Mastery rule of {self.cohort}: {self.describe()}"

    def describe(self) -> str:
        if self.require == self.Require.AVERAGE:
            return f"met when the linked criteria average {self.min_points} points or more"
        return f"met when every linked criterion reaches {self.min_points} points or more"

    def judge(self, points: list[int]) -> bool | None:
        """Met or not from the chosen levels' points of the linked criteria; None when no
        criterion is linked (nothing to judge by)."""
        if not points:
            return None
        if self.require == self.Require.AVERAGE:
            return sum(points) >= self.min_points * len(points)
        return min(points) >= self.min_points


class RubricAttachment(models.Model):
    """Which rubric applies: to one week, to one capstone deliverable, or by default to
    every week (scope course) or every capstone deliverable (scope capstone) of a course."""

    class Scope(models.TextChoices):
        WEEK = "week", "One week"
        DELIVERABLE = "deliverable", "One capstone deliverable"
        COURSE_DEFAULT = "course_default", "Default for the course's weeks"
        CAPSTONE_DEFAULT = "capstone_default", "Default for the course's capstone deliverables"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="rubric_attachments")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    week = models.ForeignKey(Week, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    deliverable = models.ForeignKey(
        CapstoneDeliverable, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="attachments")

    class Meta:
        ordering = ["course", "scope"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(scope="week", week__isnull=False, deliverable__isnull=True)
                    | models.Q(scope="deliverable", week__isnull=True, deliverable__isnull=False)
                    | models.Q(
                        scope__in=["course_default", "capstone_default"], week__isnull=True, deliverable__isnull=True
                    )
                ),
                name="attachment_scope_target",
            ),
            models.UniqueConstraint(
                fields=["course", "scope"],
                condition=models.Q(scope__in=["course_default", "capstone_default"]),
                name="attachment_one_default_per_scope",
            ),
            models.UniqueConstraint(
                fields=["week"], condition=models.Q(week__isnull=False), name="attachment_one_per_week"
            ),
            models.UniqueConstraint(
                fields=["deliverable"],
                condition=models.Q(deliverable__isnull=False),
                name="attachment_one_per_deliverable",
            ),
        ]

    def __str__(self) -> str:
        target = self.week or self.deliverable or self.get_scope_display()
        return f"{self.rubric} → {target}"


class AssessmentQuerySet(models.QuerySet):
    def latest_mentor(self) -> "AssessmentQuerySet":
        """Each work's latest mentor assessment (by submission time, then id): the score the
        gradebook, its totals and averages, and the cohort report show. A condition on each
        row, so that sums and averages over many works stay one SQL aggregate: its id is the
        first of its work's mentor assessments, newest first (a LIMIT 1 subquery the planner
        can only run as an index look-up per work). It was NOT EXISTS (a newer one) with an
        OR, which PostgreSQL could also plan as a hash of every mentor assessment joined to
        every revision, built again for each row of an outer query: after a VACUUM of the 10×
        bench database it chose that for the gradebook's totals, 70 s for one page
        (docs/performance.md, 5 December 23:17)."""
        latest = (
            Assessment.objects.filter(
                kind=Assessment.Kind.MENTOR, revision__work_id=models.OuterRef("revision__work_id")
            )
            .order_by("-submitted_at", "-pk")
            .values("pk")[:1]
        )
        return self.filter(kind=Assessment.Kind.MENTOR, pk=models.Subquery(latest))

    def latest_mentor_ranked(self) -> "AssessmentQuerySet":
        """The same rule as latest_mentor (each work's mentor assessments ranked newest first
        by submission time, then id; the first stands), written as a window function, for
        reading the latest scores of many works at once: a report's chunk of 200 students, the
        at-risk rules' inputs. There it sorts the chunk's assessments once where latest_mentor
        looks each work up again: 0.13 s against 0.38 s for a chunk of 4,133 works of the 10×
        bench database (docs/performance.md, 6 December).

        Django ranks in an inner query and keeps rank 1 in an outer one, so this cannot sit
        inside an aggregate or a condition of another query (use latest_mentor there), and it
        may be narrowed only by the work's fields (its cohort, student, week): a condition on
        the assessment itself would rank what is left instead of finding the latest."""
        return (
            self.filter(kind=Assessment.Kind.MENTOR)
            .annotate(
                mentor_rank=models.Window(
                    RowNumber(),
                    partition_by=[models.F("revision__work_id")],
                    order_by=[models.F("submitted_at").desc(), models.F("pk").desc()],
                )
            )
            .filter(mentor_rank=1)
        )


class Assessment(models.Model):
    """One scorer's rubric scoring of one revision."""

    class Kind(models.TextChoices):
        SELF = "self", "Self-assessment"
        PEER = "peer", "Peer review"
        MENTOR = "mentor", "Mentor review"
        CALIBRATION = "calibration", "Calibration"

    class Decision(models.TextChoices):
        NONE = "", "No decision"
        ACCEPT = "accept", "Accept"
        REQUEST_CHANGES = "request_changes", "Request changes"

    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="assessments")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="assessments")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    feedback = models.TextField(blank=True, help_text="Overall feedback (markdown).")
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True, default="")
    score = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="Weighted score 0–100, computed from the levels, never typed."
    )
    calibration_run = models.ForeignKey(
        "CalibrationRun", on_delete=models.CASCADE, null=True, blank=True, related_name="assessments"
    )
    submitted_at = models.DateTimeField()

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["revision", "submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["revision", "scorer", "kind"],
                condition=~models.Q(kind="calibration"),
                name="assessment_one_per_revision_scorer_kind",
            ),
            models.UniqueConstraint(
                fields=["calibration_run", "scorer"],
                condition=models.Q(calibration_run__isnull=False),
                name="assessment_one_per_calibration_scorer",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="mentor", decision__in=["accept", "request_changes"])
                | (~models.Q(kind="mentor") & models.Q(decision="")),
                name="assessment_decision_only_for_mentors",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="calibration", calibration_run__isnull=False)
                | (~models.Q(kind="calibration") & models.Q(calibration_run__isnull=True)),
                name="assessment_calibration_has_run",
            ),
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="assessment_score_between_0_and_100"
            ),
        ]
        indexes = [models.Index(fields=["kind", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of revision {self.revision_id} by {self.scorer_id}"


class CriterionScore(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "criterion__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="criterion_score_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.level}"

    def clean(self) -> None:
        if self.level_id and self.criterion_id and self.level.criterion_id != self.criterion_id:
            raise ValidationError({"level": "This level belongs to another criterion."})


class SelfAssessmentDraft(models.Model):
    """A student's self-assessment of their work before they submit it. Private to the author;
    when they submit, `rubrics.services.self_assessment_attach` records it as the SELF
    assessment of the new revision. It stays afterwards, to prefill the next revision's."""

    work = models.OneToOneField(WeeklyWork, on_delete=models.CASCADE, related_name="self_assessment_draft")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    levels = models.JSONField(
        default=dict, help_text='Per criterion id (a string): {"level": level id, "comment": text}.'
    )
    feedback = models.TextField(blank=True, help_text="Overall note (markdown).")
    score = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="Weighted score 0–100, computed from the levels, never typed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=0, score__lte=100), name="self_assessment_draft_score_between_0_and_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Self-assessment draft of work {self.work_id}"

    @property
    def scores(self) -> dict[int, tuple[int | None, str]]:
        """The levels in the shape rubrics.services takes: criterion id → (level id, comment)."""
        return {
            int(criterion_id): (chosen.get("level"), chosen.get("comment", ""))
            for criterion_id, chosen in self.levels.items()
        }


class AssessmentDraft(models.Model):
    """A mentor's unfinished scoring of a revision, saved as they work so that it survives a
    closed tab (rubrics.services.assessment_draft_save); one per mentor per revision, restored
    when the scoring page opens again, deleted when that mentor records the assessment.
    Nothing here counts as feedback: the student never sees it."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="assessment_drafts")
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_drafts")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    levels = models.JSONField(
        default=dict, blank=True, help_text='Per criterion id (a string): {"level": level id or null, "comment": text}.'
    )
    feedback = models.TextField(blank=True, help_text="Overall feedback so far (markdown).")
    decision = models.CharField(max_length=20, choices=Assessment.Decision.choices, blank=True, default="")
    judgements = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per objective id (a string): {"choice": "", "met" or "not_met", "reason": text}.',
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by every save; a save from a page holding an older one replaced another tab's."
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["revision", "scorer"], name="assessment_draft_one_per_revision_scorer"),
        ]

    def __str__(self) -> str:
        return f"Draft assessment of revision {self.revision_id} by {self.scorer_id}"

    def form_initial(self, *, same_rubric: bool) -> dict:
        """The scoring form's initial values; levels, comments and judgements only when the
        draft was made with the rubric version in force (they mean nothing in another)."""
        initial = {"feedback": self.feedback, "decision": self.decision}
        if same_rubric:
            for criterion_id, chosen in self.levels.items():
                if chosen.get("level"):
                    initial[f"criterion_{criterion_id}"] = chosen["level"]
                initial[f"comment_{criterion_id}"] = chosen.get("comment", "")
            for objective_id, said in self.judgements.items():
                initial[f"objective_{objective_id}"] = said.get("choice", "")
                initial[f"reason_{objective_id}"] = said.get("reason", "")
        return initial


class PeerAssignment(models.Model):
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="peer_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_assignments")
    anonymous = models.BooleanField(default=True, help_text="The author does not see who reviewed.")
    assigned_at = models.DateTimeField()
    due_at = models.DateTimeField()
    assessment = models.OneToOneField(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="peer_assignment"
    )

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "reviewer"], name="peer_assignment_unique"),
        ]
        indexes = [models.Index(fields=["reviewer", "assessment"])]

    def __str__(self) -> str:
        return f"Peer review of revision {self.revision_id} by {self.reviewer_id}"

    @property
    def is_done(self) -> bool:
        return self.assessment_id is not None


class CalibrationRun(models.Model):
    """An instructor puts one revision in front of several mentors to see how far their
    scores agree."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="calibration_runs")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="calibration_runs")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="calibration_runs")
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    mentors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="calibration_runs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class ObjectiveJudgementQuerySet(models.QuerySet):
    def current(self) -> "ObjectiveJudgementQuerySet":
        """The judgement that stands for each objective of each work: the latest one, by its
        assessment's submission time, then id (a week accepted again after being reopened is
        judged again). Written as latest_mentor is, and for the same reason: the first of the
        (work, objective)'s judgements, newest first, is a LIMIT 1 look-up on their index, where
        NOT EXISTS a newer one leaves the planner free to hash every judgement per outer row."""
        latest = (
            ObjectiveJudgement.objects.filter(
                work_id=models.OuterRef("work_id"), objective_id=models.OuterRef("objective_id")
            )
            .order_by("-assessment__submitted_at", "-pk")
            .values("pk")[:1]
        )
        return self.filter(pk=models.Subquery(latest))


class ObjectiveJudgement(models.Model):
    """Whether one outcome objective of the week was met, judged when a mentor accepted the
    week (rubrics.services.assessment_record). `derived_met` is what the cohort's rule made of
    the linked criteria's levels; `met` is the final word, which differs only when the mentor
    overrode it, and then `reason` says why. Written once with the assessment and never
    changed, so the row is its own audit record (who: the assessment's scorer; when: its
    submitted_at)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="judgements")
    work = models.ForeignKey(WeeklyWork, on_delete=models.CASCADE, related_name="judgements")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="judgements")
    derived_met = models.BooleanField(
        null=True, help_text="What the cohort's rule derived; empty when no criterion is linked."
    )
    met = models.BooleanField()
    rule = models.CharField(max_length=200, help_text="The rule as it read when the judgement was made.")
    reason = models.TextField(blank=True, help_text="Why the mentor overrode the derived judgement.")

    objects = ObjectiveJudgementQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "objective__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "objective"], name="judgement_one_per_assessment_objective"),
            models.CheckConstraint(
                condition=models.Q(derived_met__isnull=False, met=models.F("derived_met")) | ~models.Q(reason=""),
                name="judgement_override_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["work", "objective"])]

    def __str__(self) -> str:
        return f"{self.objective}: {'met' if self.met else 'not yet met'}"

    @property
    def overridden(self) -> bool:
        return self.derived_met is None or self.met != self.derived_met
