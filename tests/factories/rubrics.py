import datetime

import factory
from django.utils import timezone

from cohorts.models import Membership
from rubrics import services
from rubrics.models import (
    Assessment,
    AssessmentDraft,
    CalibrationRun,
    Criterion,
    CriterionObjective,
    CriterionScore,
    Level,
    MasteryRule,
    ObjectiveJudgement,
    PeerAssignment,
    Rubric,
    RubricAttachment,
    SelfAssessmentDraft,
)
from rubrics.selectors import rubric_criteria, rubric_for_work
from submissions.models import WeeklyWork

from .cohorts import CohortFactory, MembershipFactory, MentorAssignmentFactory
from .curriculum import CourseFactory, ObjectiveFactory, WeekFactory
from .submissions import ArtifactFactory, RevisionFactory, WeeklyWorkFactory

__all__ = [
    "RubricFactory",
    "CriterionFactory",
    "LevelFactory",
    "RubricAttachmentFactory",
    "AssessmentFactory",
    "CriterionScoreFactory",
    "SelfAssessmentDraftFactory",
    "PeerAssignmentFactory",
    "CalibrationRunFactory",
    "CriterionObjectiveFactory",
    "MasteryRuleFactory",
    "ObjectiveJudgementFactory",
    "AssessmentDraftFactory",
    "rubric_with_levels",
    "applying_rubric",
    "rubric_scores",
    "assigned_mentor",
    "accepted_work",
]


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rubric

    family = factory.Sequence(lambda n: f"rubric-{n}")
    version = 1
    title = factory.Sequence(lambda n: f"Rubric {n}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 1


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level

    criterion = factory.SubFactory(CriterionFactory)
    order = factory.Sequence(lambda n: n + 1)
    label = factory.Sequence(lambda n: f"Level {n}")
    points = factory.Sequence(lambda n: n + 1)
    descriptor = "What work at this level looks like."


def rubric_with_levels(criteria: int = 2, weights: tuple[int, ...] | None = None, **kwargs) -> Rubric:
    """A rubric whose criteria each have levels worth 1 to 4 points."""
    rubric = RubricFactory(**kwargs)
    for index in range(criteria):
        criterion = CriterionFactory(rubric=rubric, order=index + 1, weight=(weights or (1,) * criteria)[index])
        for points in (4, 3, 2, 1):
            LevelFactory(criterion=criterion, order=5 - points, points=points, label=f"L{points}")
    return rubric


def applying_rubric(work: WeeklyWork) -> Rubric:
    """The rubric that applies to the work. When none does, the course's default rubrics are
    installed first (rubrics.services.rubric_install_defaults, as an instructor would)."""
    rubric = rubric_for_work(work)
    if rubric is None:
        services.rubric_install_defaults(course=work.cohort.course)
        rubric = rubric_for_work(work)
    return rubric


def rubric_scores(rubric: Rubric, points: int | list[int] = 3, comment: str = "") -> dict[int, tuple[int, str]]:
    """Scores as rubrics.services takes them (criterion id → (level id, comment)): for every
    criterion, its level worth `points` (one number for all, or a list in criterion order)."""
    criteria = rubric_criteria(rubric)
    wanted = points if isinstance(points, list | tuple) else [points] * len(criteria)
    return {
        criterion.pk: (next(level.pk for level in criterion.levels.all() if level.points == p), comment)
        for criterion, p in zip(criteria, wanted, strict=True)
    }


def assigned_mentor(work: WeeklyWork):
    """A new mentor of the work's cohort, assigned to its student."""
    mentor = MembershipFactory(cohort=work.cohort, role=Membership.Role.MENTOR).user
    MentorAssignmentFactory(cohort=work.cohort, mentor=mentor, student=work.student)
    return mentor


def accepted_work(**artifact_kwargs) -> WeeklyWork:
    """A week-1 work with one piece of evidence (ArtifactFactory), submitted and accepted by
    its assigned mentor's rubric review (AssessmentFactory), as the workflow does it."""
    artifact = ArtifactFactory(**artifact_kwargs)
    revision = RevisionFactory(work=artifact.work)
    AssessmentFactory(revision=revision, decision=Assessment.Decision.ACCEPT)
    return revision.work


class RubricAttachmentFactory(factory.django.DjangoModelFactory):
    """A rubric (two criteria, levels worth 4 to 1) attached to one week of a new course."""

    class Meta:
        model = RubricAttachment

    course = factory.SubFactory(CourseFactory)
    scope = RubricAttachment.Scope.WEEK
    week = factory.SubFactory(WeekFactory, course=factory.SelfAttribute("..course"))
    deliverable = None
    rubric = factory.LazyFunction(rubric_with_levels)


def _scorer(o):
    work = o.revision.work
    if o.kind == Assessment.Kind.SELF:
        return work.student
    if o.kind == Assessment.Kind.PEER:
        return PeerAssignmentFactory(revision=o.revision).reviewer
    if o.kind == Assessment.Kind.CALIBRATION:
        return o.calibration_run.mentors.order_by("pk").first()
    return assigned_mentor(work)


class AssessmentFactory(factory.django.DjangoModelFactory):
    """A rubric scoring recorded by rubrics.services.assessment_record, the only way one is
    made: every criterion of the rubric that applies gets its level worth `points` (3 of 4 by
    default, or a list in criterion order) from that very rubric version, the weighted score
    is computed and the version frozen. By default the student's assigned mentor accepts a
    fresh submission (decision=REQUEST_CHANGES sends it back). kind=SELF scores as the
    author, kind=PEER as an assigned peer reviewer (the assignment is completed), and
    kind=CALIBRATION as a mentor of a new calibration run of the revision."""

    class Meta:
        model = Assessment

    revision = factory.SubFactory(RevisionFactory)
    kind = Assessment.Kind.MENTOR
    calibration_run = factory.LazyAttribute(
        lambda o: CalibrationRunFactory(revision=o.revision) if o.kind == Assessment.Kind.CALIBRATION else None
    )
    rubric = factory.LazyAttribute(
        lambda o: o.calibration_run.rubric if o.calibration_run else applying_rubric(o.revision.work)
    )
    scorer = factory.LazyAttribute(_scorer)
    decision = factory.LazyAttribute(lambda o: Assessment.Decision.ACCEPT if o.kind == Assessment.Kind.MENTOR else "")
    feedback = "The latency budget is argued well; show the p99 next to the p95 next time."
    points = 3
    comment = "Measured before and after the change."
    submitted_at = None  # now

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        revision,
        kind,
        calibration_run,
        rubric,
        scorer,
        decision,
        feedback,
        points,
        comment,
        submitted_at,
        **computed,
    ):
        if computed:
            raise TypeError(f"{sorted(computed)} of an assessment are computed by assessment_record.")
        assessment = services.assessment_record(
            revision=revision,
            scorer=scorer,
            kind=kind,
            scores=rubric_scores(rubric, points, comment),
            feedback=feedback,
            decision=decision,
            calibration_run=calibration_run,
            now=submitted_at,
        )
        revision.work.refresh_from_db()  # a mentor's decision changed its state
        return assessment


class CriterionScoreFactory(factory.django.DjangoModelFactory):
    """One criterion's level in an assessment. An assessment scores all its criteria at once,
    so this records one (AssessmentFactory; choose levels with assessment__points=…) and
    returns its score for `criterion`, the rubric's first by default."""

    class Meta:
        model = CriterionScore

    assessment = factory.SubFactory(AssessmentFactory)
    criterion = factory.LazyAttribute(lambda o: o.assessment.rubric.criteria.order_by("order").first())

    @classmethod
    def _create(cls, model_class, *, assessment, criterion, **chosen):
        if chosen:
            raise TypeError(
                f"Choose {sorted(chosen)} through the assessment: assessment__points=…, assessment__comment=…."
            )
        return model_class.objects.get(assessment=assessment, criterion=criterion)


class SelfAssessmentDraftFactory(factory.django.DjangoModelFactory):
    """The author's self-assessment of a draft they have not submitted yet, saved by
    rubrics.services.self_assessment_save_draft against the rubric that applies, every
    criterion at the level worth `points`."""

    class Meta:
        model = SelfAssessmentDraft

    work = factory.SubFactory(WeeklyWorkFactory, enrolled=True, cohort__running=True)
    rubric = factory.LazyAttribute(lambda o: applying_rubric(o.work))
    points = 3
    comment = ""
    feedback = "The index fixed the p95; the capacity plan is still thin."

    @classmethod
    def _create(cls, model_class, *, work, rubric, points, comment, feedback, **computed):
        if computed:
            raise TypeError(f"{sorted(computed)} of a self-assessment draft are computed by the service.")
        return services.self_assessment_save_draft(
            work=work, by=work.student, scores=rubric_scores(rubric, points, comment), feedback=feedback
        )


class PeerAssignmentFactory(factory.django.DjangoModelFactory):
    """A peer review still to do: a new student of the author's cohort reviews the revision,
    assigned when it was submitted and due after the cohort's peer review window, as
    rubrics.services.peer_assign_reviewers assigns them. The reviewer must be a student of
    the cohort and never the author."""

    class Meta:
        model = PeerAssignment

    revision = factory.SubFactory(RevisionFactory)
    reviewer = factory.LazyAttribute(lambda o: MembershipFactory(cohort=o.revision.work.cohort).user)
    anonymous = True
    assigned_at = factory.SelfAttribute("revision.submitted_at")
    due_at = factory.LazyAttribute(
        lambda o: o.assigned_at + datetime.timedelta(days=o.revision.work.cohort.peer_review_window_days)
    )
    assessment = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        work, reviewer = kwargs["revision"].work, kwargs["reviewer"]
        if reviewer.pk == work.student_id:
            raise ValueError("Nobody peer-reviews their own work.")
        if not Membership.objects.filter(cohort=work.cohort, user=reviewer, role=Membership.Role.STUDENT).exists():
            raise ValueError("Peer reviewers are students of the author's cohort.")
        return super()._create(model_class, *args, **kwargs)


class CalibrationRunFactory(factory.django.DjangoModelFactory):
    """A calibration run started by rubrics.services.calibration_run_create: an instructor of
    the revision's cohort puts it in front of two of the cohort's mentors, scored with the
    rubric that applies to the work."""

    class Meta:
        model = CalibrationRun

    revision = factory.SubFactory(RevisionFactory)
    cohort = factory.SelfAttribute("revision.work.cohort")
    rubric = factory.LazyAttribute(lambda o: applying_rubric(o.revision.work))
    title = factory.LazyAttribute(
        lambda o: f"Calibration: {o.revision.work.target_label}, revision {o.revision.number}"
    )
    created_by = factory.LazyAttribute(
        lambda o: MembershipFactory(cohort=o.cohort, role=Membership.Role.INSTRUCTOR).user
    )
    mentors = factory.LazyAttribute(
        lambda o: [MembershipFactory(cohort=o.cohort, role=Membership.Role.MENTOR).user for _ in range(2)]
    )

    @classmethod
    def _create(cls, model_class, *, revision, cohort, rubric, title, created_by, mentors):
        run = services.calibration_run_create(
            cohort=cohort, revision=revision, created_by=created_by, mentors=mentors, title=title
        )
        if run.rubric_id != rubric.pk:
            raise ValueError("A calibration run scores with the rubric that applies to the work.")
        return run


class CriterionObjectiveFactory(factory.django.DjangoModelFactory):
    """A criterion of an editable rubric linked to an outcome objective."""

    class Meta:
        model = CriterionObjective

    criterion = factory.SubFactory(CriterionFactory)
    objective = factory.SubFactory(ObjectiveFactory)


class MasteryRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MasteryRule

    cohort = factory.SubFactory(CohortFactory)
    min_points = MasteryRule.DEFAULT_MIN_POINTS
    require = MasteryRule.Require.EVERY


class ObjectiveJudgementFactory(factory.django.DjangoModelFactory):
    """The judgement of one outcome objective made when the student's mentor accepted the
    week (rubrics.services.assessment_record, the only way one is made): the week gets its own
    rubric (two criteria, levels 4 to 1) whose first criterion is linked to a new objective,
    every criterion is scored `points`, and the default rule (3 points or more) derives met
    or not yet met."""

    class Meta:
        model = ObjectiveJudgement

    revision = factory.SubFactory(RevisionFactory)
    objective = factory.LazyAttribute(
        lambda o: ObjectiveFactory(week=o.revision.work.week, order=o.revision.work.week.objectives.count() + 1)
    )
    points = 3

    @classmethod
    def _create(cls, model_class, *, revision, objective, points):
        work = revision.work
        rubric = rubric_with_levels()
        services.rubric_attach(
            rubric=rubric, course=work.cohort.course, scope=RubricAttachment.Scope.WEEK, week=work.week
        )
        CriterionObjective.objects.create(criterion=rubric.criteria.order_by("order").first(), objective=objective)
        assessment = AssessmentFactory(revision=revision, points=points)
        return ObjectiveJudgement.objects.get(assessment=assessment, objective=objective)


class AssessmentDraftFactory(factory.django.DjangoModelFactory):
    """A mentor's unfinished assessment of a submitted revision: the mentor assigned to the
    student, under the rubric that applies, feedback half written, no level chosen yet."""

    class Meta:
        model = AssessmentDraft

    revision = factory.SubFactory("tests.factories.submissions.RevisionFactory")
    scorer = factory.LazyAttribute(lambda o: assigned_mentor(o.revision.work))
    rubric = factory.LazyAttribute(lambda o: applying_rubric(o.revision.work))
    feedback = "The latency budget is clear; the cache section needs its hit ratio."
    updated_at = factory.LazyFunction(timezone.now)
