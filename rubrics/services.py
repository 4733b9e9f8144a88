"""Every change to rubrics, assessments, peer assignments and calibration runs goes through
these functions (pages, admin, tasks and the demo alike)."""

import datetime
import heapq
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort
from cohorts.services import cohort_grades_changed
from curriculum.models import CapstoneDeliverable, Course, Objective, Week
from submissions import services as submission_services
from submissions.models import Revision, WeeklyWork

from . import policies, signals
from .defaults import CAPSTONE_RUBRIC, LEVELS, WEEKLY_OBJECTIVE_LINKS, WEEKLY_RUBRIC
from .models import (
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
from .selectors import (
    derive_objective_judgements,
    mastery_points_ceiling,
    mastery_rule_for,
    objective_links_for_work,
    rubric_for_work,
)

# criterion id → (level id, comment)
Scores = Mapping[int, tuple[int | None, str]]
# objective id → (the mentor's word: True met / False not yet met / None follow the rule, reason)
Judgements = Mapping[int, tuple[bool | None, str]]

# --- Rubrics -------------------------------------------------------------------------------


@transaction.atomic
def rubric_create(
    *,
    family: str,
    title: str,
    description: str = "",
    criteria: Iterable[tuple[str, str, int, Iterable[tuple[str, int, str]]]],
    version: int = 1,
) -> Rubric:
    """A rubric with its criteria (title, description, weight, levels) and their levels
    (label, points, descriptor), in the given order."""
    rubric = Rubric(family=family, version=version, title=title, description=description)
    rubric.full_clean()
    rubric.save()
    for c_order, (c_title, c_description, weight, levels) in enumerate(criteria, start=1):
        criterion = Criterion(rubric=rubric, order=c_order, title=c_title, description=c_description, weight=weight)
        criterion.full_clean()
        criterion.save()
        for l_order, (label, points, descriptor) in enumerate(levels, start=1):
            level = Level(criterion=criterion, order=l_order, label=label, points=points, descriptor=descriptor)
            level.full_clean()
            level.save()
    return rubric


def _rubric_spec(spec: dict) -> list[tuple[str, str, int, list[tuple[str, int, str]]]]:
    return [
        (
            title,
            description,
            weight,
            [(label, points, text) for (label, points), text in zip(LEVELS, texts, strict=True)],
        )
        for title, description, weight, texts in spec["criteria"]
    ]


@transaction.atomic
def rubric_attach(
    *,
    rubric: Rubric,
    course: Course,
    scope: str,
    week: Week | None = None,
    deliverable: CapstoneDeliverable | None = None,
) -> RubricAttachment:
    """Attach a rubric (replacing what was attached to the same target)."""
    target = {"course": course, "scope": scope, "week": week, "deliverable": deliverable}
    attachment = RubricAttachment.objects.filter(**target).first() or RubricAttachment(**target)
    attachment.rubric = rubric
    attachment.full_clean()
    attachment.save()
    return attachment


@transaction.atomic
def rubric_install_defaults(*, course: Course) -> tuple[Rubric, Rubric]:
    """Create the weekly and capstone default rubrics (unless their family exists) and make
    them the course's defaults where nothing is attached yet. Idempotent."""
    installed = []
    for spec, scope in (
        (WEEKLY_RUBRIC, RubricAttachment.Scope.COURSE_DEFAULT),
        (CAPSTONE_RUBRIC, RubricAttachment.Scope.CAPSTONE_DEFAULT),
    ):
        rubric = Rubric.objects.filter(family=spec["family"]).order_by("-version").first()
        if rubric is None:
            rubric = rubric_create(
                family=spec["family"],
                title=spec["title"],
                description=spec["description"],
                criteria=_rubric_spec(spec),
            )
        if not RubricAttachment.objects.filter(course=course, scope=scope).exists():
            rubric_attach(rubric=rubric, course=course, scope=scope)
        installed.append(rubric)
    criterion_objective_install_defaults(rubric=installed[0], course=course)
    return installed[0], installed[1]


@transaction.atomic
def criterion_objective_install_defaults(*, rubric: Rubric, course: Course) -> int:
    """Link the weekly rubric's criteria to every week's outcome objectives of the course
    (defaults.WEEKLY_OBJECTIVE_LINKS). Only where a week has no link to this rubric version
    yet, so an edit made in the admin is kept; nothing on a frozen version (its links froze
    with it). Idempotent. Returns how many links were made."""
    if rubric.is_frozen:
        return 0
    criterion_of = {c.order: c for c in rubric.criteria.all()}
    linked_weeks = set(
        CriterionObjective.objects.filter(criterion__rubric=rubric, objective__week__course=course).values_list(
            "objective__week_id", flat=True
        )
    )
    links = []
    position: dict[int, int] = {}
    for objective in (
        Objective.objects.filter(week__course=course, kind=Objective.Kind.OUTCOME)
        .exclude(week_id__in=linked_weeks)
        .order_by("week__number", "order")
    ):
        position[objective.week_id] = position.get(objective.week_id, 0) + 1
        for order in WEEKLY_OBJECTIVE_LINKS.get(position[objective.week_id], ()):
            if order in criterion_of:
                links.append(CriterionObjective(criterion=criterion_of[order], objective=objective))
    CriterionObjective.objects.bulk_create(links)
    return len(links)


@transaction.atomic
def mastery_rule_set(*, cohort: Cohort, by: User, min_points: int, require: str) -> MasteryRule:
    """Set how the cohort's objectives are judged at acceptance. Judgements already made keep
    the rule they were made with."""
    if not can_manage_cohort(by, cohort):
        raise ValidationError("Only the cohort's instructors set its mastery rule.")
    ceiling = mastery_points_ceiling(cohort)
    if ceiling is not None and min_points > ceiling:
        raise ValidationError(
            {
                "min_points": f"The cohort's rubrics go up to {ceiling} points: a level of {min_points} could never "
                f"be reached. Choose {ceiling} or fewer."
            }
        )
    rule = MasteryRule.objects.select_for_update().filter(cohort=cohort).first() or MasteryRule(cohort=cohort)
    rule.min_points = min_points
    rule.require = require
    rule.full_clean(validate_unique=False)
    rule.save()
    return rule


@transaction.atomic
def rubric_new_version(*, rubric: Rubric) -> Rubric:
    """Copy a rubric to the next version of its family (criteria and levels included) and
    move its attachments there; assessments keep the version they used."""
    latest = Rubric.objects.select_for_update().filter(family=rubric.family).order_by("-version").first()
    if latest.pk != rubric.pk:
        raise ValidationError(f"Version {latest.version} of this rubric exists already; edit that one.")
    criteria = list(rubric.criteria.prefetch_related("levels").order_by("order"))
    copy = rubric_create(
        family=rubric.family,
        version=rubric.version + 1,
        title=rubric.title,
        description=rubric.description,
        criteria=[
            (c.title, c.description, c.weight, [(lv.label, lv.points, lv.descriptor) for lv in c.levels.all()])
            for c in criteria
        ],
    )
    copied_criteria = {c.order: c for c in copy.criteria.all()}
    CriterionObjective.objects.bulk_create(
        CriterionObjective(criterion=copied_criteria[order], objective_id=objective_id)
        for order, objective_id in CriterionObjective.objects.filter(criterion__rubric=rubric).values_list(
            "criterion__order", "objective_id"
        )
    )
    RubricAttachment.objects.filter(rubric=rubric).update(rubric=copy)
    CalibrationRun.objects.filter(rubric=rubric, assessments__isnull=True).update(rubric=copy)
    return copy


def _lock_for_scoring(rubric: Rubric) -> None:
    """Hold the version's row until the assessment (which freezes it) commits. The models'
    guard on criteria and levels takes the same lock, so an edit of an unfrozen version either
    commits before its levels are read here, or waits and then finds the version frozen."""
    list(Rubric.objects.select_for_update().filter(pk=rubric.pk).values_list("pk", flat=True))


def _freeze(rubric: Rubric, now: datetime.datetime) -> None:
    if Rubric.objects.filter(pk=rubric.pk, frozen_at__isnull=True).update(frozen_at=now):
        rubric.frozen_at = now


# --- Assessments -----------------------------------------------------------------------------


def weighted_score(pairs: Iterable[tuple[int, int, int]]) -> Decimal:
    """(weight, points, max points) per criterion → sum(w·p) / sum(w·max) × 100, two decimals."""
    pairs = list(pairs)
    reached = sum(w * p for w, p, _ in pairs)
    possible = sum(w * m for w, _, m in pairs)
    if not possible:
        return Decimal("0.00")
    return (Decimal(100) * reached / possible).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _chosen_score(chosen: list[tuple[Criterion, Level, str]]) -> Decimal:
    """The weighted score of checked levels (the criteria carry their prefetched levels)."""
    return weighted_score((c.weight, level.points, max(lv.points for lv in c.levels.all())) for c, level, _ in chosen)


def _check_scorer(
    *, revision: Revision, work: WeeklyWork, scorer: User, kind: str, decision: str, run: CalibrationRun | None
) -> PeerAssignment | None:
    """Raise unless this scorer may give this kind of assessment on this revision now."""
    if kind != Assessment.Kind.MENTOR and decision:
        raise ValidationError({"decision": "Only a mentor's review accepts work or requests changes."})
    if kind != Assessment.Kind.CALIBRATION and run is not None:
        raise ValidationError("A calibration run is only for calibration scoring.")
    if kind == Assessment.Kind.MENTOR:
        if not policies.can_score_as_mentor(scorer, work):
            raise ValidationError("Only the student's assigned mentors and the cohort's instructors can score this.")
        if decision not in (Assessment.Decision.ACCEPT, Assessment.Decision.REQUEST_CHANGES):
            raise ValidationError({"decision": "Choose a decision: accept, or request changes."})
        if work.latest_revision_id != revision.pk:
            raise ValidationError("Only the latest submitted revision can be scored; a newer revision exists.")
        if work.state not in WeeklyWork.AWAITING_REVIEW_STATES:
            raise ValidationError(f"This work is {work.get_state_display().lower()}, not awaiting review.")
        return None
    if kind == Assessment.Kind.PEER:
        assignment = PeerAssignment.objects.select_for_update().filter(revision=revision, reviewer=scorer).first()
        if assignment is None:
            raise ValidationError("You were not assigned to review this revision.")
        if assignment.assessment_id:
            raise ValidationError("You have already reviewed this revision.")
        return assignment
    if kind == Assessment.Kind.SELF:
        if scorer.pk != work.student_id:
            raise ValidationError("Only the author assesses their own work.")
        return None
    if kind == Assessment.Kind.CALIBRATION:
        if run is None or run.revision_id != revision.pk:
            raise ValidationError("Calibration scores belong to a calibration run of this revision.")
        if not run.mentors.filter(pk=scorer.pk).exists():
            raise ValidationError("You are not one of this calibration run's mentors.")
        return None
    raise ValidationError({"kind": f"Unknown kind of assessment: {kind}."})


def _check_scores(rubric: Rubric, scores: Scores) -> list[tuple[Criterion, Level, str]]:
    """Every criterion of the rubric present, each with a level of that very criterion."""
    criteria = list(rubric.criteria.prefetch_related("levels").order_by("order"))
    by_id = {c.pk: c for c in criteria}
    errors: dict[str, list[str]] = {}
    unknown = [cid for cid in scores if cid not in by_id]
    if unknown:
        errors.setdefault("scores", []).append(
            "Some scores are for criteria that are not in this rubric version (it may have changed: reload the page)."
        )
    chosen = []
    for criterion in criteria:
        level_id, comment = scores.get(criterion.pk, (None, ""))
        level = next((lv for lv in criterion.levels.all() if lv.pk == level_id), None)
        if level_id is None:
            errors.setdefault(f"criterion_{criterion.pk}", []).append(f"Choose a level for “{criterion.title}”.")
        elif level is None:
            errors.setdefault(f"criterion_{criterion.pk}", []).append(
                f"That level is not one of “{criterion.title}”'s levels in this rubric version."
            )
        else:
            chosen.append((criterion, level, (comment or "").strip()))
    if errors:
        raise ValidationError(errors)
    return chosen


@transaction.atomic
def assessment_record(
    *,
    revision: Revision,
    scorer: User,
    kind: str,
    scores: Scores,
    feedback: str = "",
    decision: str = "",
    calibration_run: CalibrationRun | None = None,
    judgements: Judgements | None = None,
    now: datetime.datetime | None = None,
) -> Assessment:
    """Record one scorer's rubric scoring of a revision, all or nothing.

    A mentor who accepts a week also judges each of its outcome objectives met or not yet
    met: by the cohort's MasteryRule from the linked criteria's levels, unless `judgements`
    overrides one (with a reason).

    Checks that the scorer may score (policy, assignment or run), that every criterion of
    the rubric has a level of that criterion, and for mentors that the revision is the
    latest one awaiting review. Computes the weighted score, freezes the rubric version on
    first use, and for a mentor accepts the work or requests changes."""
    now = now or timezone.now()
    work = WeeklyWork.objects.select_for_update().select_related("cohort", "student").get(pk=revision.work_id)
    assignment = _check_scorer(
        revision=revision, work=work, scorer=scorer, kind=kind, decision=decision, run=calibration_run
    )
    rubric = calibration_run.rubric if calibration_run is not None else rubric_for_work(work)
    if rubric is None:
        raise ValidationError("No rubric applies to this work; an instructor must attach one.")
    _lock_for_scoring(rubric)
    chosen = _check_scores(rubric, scores)
    if kind == Assessment.Kind.MENTOR and decision == Assessment.Decision.REQUEST_CHANGES and not feedback.strip():
        raise ValidationError({"feedback": "Say what should change: overall feedback is required to request changes."})
    duplicate = Assessment.objects.filter(revision=revision, scorer=scorer, kind=kind)
    if calibration_run is not None:
        duplicate = Assessment.objects.filter(calibration_run=calibration_run, scorer=scorer)
    if duplicate.exists():
        raise ValidationError("You have already scored this revision.")
    accepting = kind == Assessment.Kind.MENTOR and decision == Assessment.Decision.ACCEPT
    if judgements and not accepting:
        raise ValidationError("Objectives are judged only when a mentor accepts the work.")
    planned = _plan_judgements(work, rubric, chosen, judgements or {}) if accepting else []

    assessment = _store_assessment(
        revision=revision,
        rubric=rubric,
        scorer=scorer,
        kind=kind,
        chosen=chosen,
        feedback=feedback,
        decision=decision,
        calibration_run=calibration_run,
        now=now,
    )
    if assignment is not None:
        assignment.assessment = assessment
        assignment.save(update_fields=["assessment"])
    _store_judgements(assessment, planned)
    # The draft has become the assessment; in the same transaction, so a refused save keeps it.
    AssessmentDraft.objects.filter(revision=revision, scorer=scorer).delete()
    if kind == Assessment.Kind.MENTOR:
        if decision == Assessment.Decision.ACCEPT:
            submission_services.work_accept(work=work, revision=revision, by=scorer)
        else:
            submission_services.work_request_changes(work=work, revision=revision, by=scorer)
        # Inside this transaction: the student's notification is recorded with the decision or not at all.
        signals.assessment_decided.send(sender=Assessment, assessment=assessment)
    elif kind == Assessment.Kind.PEER:
        signals.peer_review_submitted.send(sender=Assessment, assessment=assessment)
    return assessment


# --- Draft assessments (a mentor's scoring in progress) -----------------------------------------

DRAFT_NOT_SCORABLE = (
    "This revision is no longer waiting for your review (it was decided, or a newer revision exists), "
    "so your draft was not saved. Copy what you need to keep from this page."
)
DRAFT_REPLACED = (
    "This draft was also saved from another tab or window since you opened this page (at {at}); this save "
    "replaced it, so the draft is now what is on this page. If the other tab held choices you want, copy them here."
)
# Judgement choices in a draft, as the scoring form names them.
DRAFT_JUDGEMENT_CHOICES = ("", "met", "not_met")


@dataclass(frozen=True)
class DraftSaved:
    draft: AssessmentDraft
    # The time of the other tab's save this one replaced, or None when the page held the latest.
    replaced_save_at: datetime.datetime | None


def _check_draft(
    *, work: WeeklyWork, rubric: Rubric, levels: Mapping[int, tuple[int | None, str]], judgements: Mapping
) -> tuple[dict, dict]:
    """A draft may be incomplete, but what it holds must belong to this rubric version and week."""
    criteria = {c.pk: c for c in rubric.criteria.prefetch_related("levels")}
    errors: dict[str, list[str]] = {}
    stored_levels = {}
    for criterion_id, (level_id, comment) in levels.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            errors.setdefault("scores", []).append(
                "Some levels are for criteria that are not in this rubric version (it may have changed: reload)."
            )
            continue
        if level_id is not None and level_id not in {lv.pk for lv in criterion.levels.all()}:
            errors.setdefault(f"criterion_{criterion_id}", []).append(
                f"That level is not one of “{criterion.title}”'s levels in this rubric version."
            )
        stored_levels[str(criterion_id)] = {"level": level_id, "comment": comment or ""}
    objectives = {objective.pk for objective, _ in objective_links_for_work(work, rubric)} if judgements else set()
    stored_judgements = {}
    for objective_id, (choice, reason) in judgements.items():
        if objective_id not in objectives or choice not in DRAFT_JUDGEMENT_CHOICES:
            errors.setdefault("judgements", []).append("That objective is not one of this week's outcomes.")
            continue
        stored_judgements[str(objective_id)] = {"choice": choice, "reason": reason or ""}
    if errors:
        raise ValidationError(errors)
    return stored_levels, stored_judgements


@transaction.atomic
def assessment_draft_save(
    *,
    revision: Revision,
    scorer: User,
    levels: Mapping[int, tuple[int | None, str]],
    feedback: str = "",
    decision: str = "",
    judgements: Mapping[int, tuple[str, str]] | None = None,
    expected_version: int | None = None,
    now: datetime.datetime | None = None,
) -> DraftSaved:
    """Save the mentor's scoring in progress on a revision: levels chosen so far (criterion id →
    (level id or None, comment)), overall feedback, decision and objective judgements (objective
    id → ("" / "met" / "not_met", reason)). One draft per mentor and revision, replaced by every
    save. `expected_version` is the draft version the page was showing: when another tab saved
    since, this later save still wins, and the result says when the one it replaced was made.

    Refused (ValidationError) when the scorer may not score the revision now, or when a level
    or objective does not belong to the rubric version and week in force."""
    now = now or timezone.now()
    # The work's row lock orders two tabs' saves (the second reads the first's draft, even the
    # very first one) and a save against the assessment that discards the draft.
    work = (
        WeeklyWork.objects.select_for_update(of=("self",)).select_related("cohort", "student").get(pk=revision.work_id)
    )
    if (
        not policies.can_score_as_mentor(scorer, work)
        or work.latest_revision_id != revision.pk
        or work.state not in WeeklyWork.AWAITING_REVIEW_STATES
        or Assessment.objects.filter(revision=revision, scorer=scorer, kind=Assessment.Kind.MENTOR).exists()
    ):
        raise ValidationError(DRAFT_NOT_SCORABLE, code="not_scorable")
    rubric = rubric_for_work(work)
    if rubric is None:
        raise ValidationError("No rubric applies to this work; an instructor must attach one.")
    if decision not in Assessment.Decision.values:
        raise ValidationError({"decision": "Choose a decision: accept, or request changes."})
    stored_levels, stored_judgements = _check_draft(
        work=work, rubric=rubric, levels=levels, judgements=judgements or {}
    )
    draft = AssessmentDraft.objects.filter(revision=revision, scorer=scorer).first()
    replaced_save_at = None
    if draft is None:
        draft = AssessmentDraft(revision=revision, scorer=scorer, version=0)
    elif expected_version is not None and expected_version != draft.version:
        replaced_save_at = draft.updated_at
    draft.rubric = rubric
    draft.levels = stored_levels
    draft.feedback = feedback
    draft.decision = decision
    draft.judgements = stored_judgements
    draft.version += 1
    draft.updated_at = now
    draft.full_clean(exclude=["revision", "scorer", "rubric"], validate_unique=False)
    draft.save()
    return DraftSaved(draft=draft, replaced_save_at=replaced_save_at)


def _plan_judgements(
    work: WeeklyWork, rubric: Rubric, chosen: list[tuple[Criterion, Level, str]], judgements: Judgements
) -> list[ObjectiveJudgement]:
    """The judgement of each outcome objective of the work's week, unsaved: derived by the
    cohort's rule from the chosen levels of the linked criteria, or the mentor's override with
    its reason. An objective with no linked criterion is judged only when the mentor says so."""
    links = objective_links_for_work(work, rubric)
    known = {objective.pk for objective, _ in links}
    errors: dict[str, list[str]] = {}
    for objective_id in judgements:
        if objective_id not in known:
            errors.setdefault("judgements", []).append("That objective is not one of this week's outcomes.")
    rule = mastery_rule_for(work.cohort)
    points_of = {criterion.pk: level.points for criterion, level, _ in chosen}
    planned = []
    for check in derive_objective_judgements(rule, links, points_of):
        objective, derived = check.objective, check.derived
        said, reason = judgements.get(objective.pk, (None, ""))
        reason = (reason or "").strip()
        met = derived if said is None else said
        if met is None:
            continue  # nothing linked and nothing said: not assessed
        if met != derived and not reason:
            errors.setdefault(f"objective_{objective.pk}", []).append(
                f"Say why “{objective.verb}” is judged differently from what the rule derives."
            )
            continue
        planned.append(
            ObjectiveJudgement(
                work=work,
                objective=objective,
                derived_met=derived,
                met=met,
                rule=rule.describe(),
                reason=reason if met != derived else "",
            )
        )
    if errors:
        raise ValidationError(errors)
    return planned


def _store_assessment(
    *,
    revision: Revision,
    rubric: Rubric,
    scorer: User,
    kind: str,
    chosen: list[tuple[Criterion, Level, str]],
    feedback: str,
    decision: str,
    calibration_run: CalibrationRun | None,
    now: datetime.datetime,
) -> Assessment:
    score = _chosen_score(chosen)
    assessment = Assessment(
        revision=revision,
        rubric=rubric,
        scorer=scorer,
        kind=kind,
        feedback=feedback.strip(),
        decision=decision or "",
        score=score,
        calibration_run=calibration_run,
        submitted_at=now,
    )
    assessment.full_clean()
    assessment.save()
    rows = [
        CriterionScore(assessment=assessment, criterion=c, level=level, comment=comment) for c, level, comment in chosen
    ]
    for row in rows:
        row.full_clean(exclude=["assessment"])
    CriterionScore.objects.bulk_create(rows)
    _freeze(rubric, now)
    if kind == Assessment.Kind.MENTOR:  # a new latest mentor score: cells, totals, averages
        cohort_grades_changed(cohort_id=revision.work.cohort_id, student_id=revision.work.student_id)
    elif calibration_run is not None:  # the scorer's review queue no longer lists the run
        cohort_grades_changed(cohort_id=calibration_run.cohort_id)
    return assessment


@transaction.atomic
def assessment_record_past_review(
    *,
    revision: Revision,
    scorer: User,
    scores: Scores,
    feedback: str,
    decision: str,
    submitted_at: datetime.datetime,
    judgements: Judgements | None = None,
) -> Assessment:
    """Record the rubric scores of a mentor review whose decision was already applied to the
    work (an import of past reviews, or the demo): the same validation as assessment_record,
    and the decision must match what happened to that revision. The work is not changed. An
    acceptance judges the week's outcome objectives as assessment_record does."""
    work = WeeklyWork.objects.select_related("cohort", "student").get(pk=revision.work_id)
    if not policies.can_score_as_mentor(scorer, work):
        raise ValidationError("Only the student's assigned mentors and the cohort's instructors can score this.")
    if work.latest_revision_id == revision.pk:
        happened = {
            WeeklyWork.State.ACCEPTED: Assessment.Decision.ACCEPT,
            WeeklyWork.State.CHANGES_REQUESTED: Assessment.Decision.REQUEST_CHANGES,
        }.get(work.state)
    else:
        happened = Assessment.Decision.REQUEST_CHANGES  # a newer revision followed, so changes were requested
    if happened is None or decision != happened:
        raise ValidationError({"decision": "The decision must match what happened to this revision."})
    if Assessment.objects.filter(revision=revision, scorer=scorer, kind=Assessment.Kind.MENTOR).exists():
        raise ValidationError("This review is recorded already.")
    rubric = rubric_for_work(work)
    if rubric is None:
        raise ValidationError("No rubric applies to this work; an instructor must attach one.")
    _lock_for_scoring(rubric)
    chosen = _check_scores(rubric, scores)
    accepting = decision == Assessment.Decision.ACCEPT
    if judgements and not accepting:
        raise ValidationError("Objectives are judged only when a mentor accepts the work.")
    planned = _plan_judgements(work, rubric, chosen, judgements or {}) if accepting else []
    assessment = _store_assessment(
        revision=revision,
        rubric=rubric,
        scorer=scorer,
        kind=Assessment.Kind.MENTOR,
        chosen=chosen,
        feedback=feedback,
        decision=decision,
        calibration_run=None,
        now=submitted_at,
    )
    _store_judgements(assessment, planned)
    return assessment


def _store_judgements(assessment: Assessment, planned: list[ObjectiveJudgement]) -> None:
    for judgement in planned:
        judgement.assessment = assessment
        judgement.full_clean(exclude=["assessment", "work", "objective"])
    ObjectiveJudgement.objects.bulk_create(planned)


# --- Self-assessment before submitting ---------------------------------------------------------


@transaction.atomic
def self_assessment_save_draft(
    *, work: WeeklyWork, by: User, scores: Scores, feedback: str = ""
) -> SelfAssessmentDraft:
    """Save (or replace) the author's self-assessment of a work they have not submitted yet,
    against the rubric that applies now. It is recorded on the next revision when they submit
    (self_assessment_attach). Returns the draft with its computed weighted score."""
    # The same row lock as submissions.services.work_submit: a save racing a submit either
    # lands before it (and is attached) or sees the work submitted (and is refused).
    work = WeeklyWork.objects.select_for_update(of=("self",)).select_related("cohort").get(pk=work.pk)
    if by.pk != work.student_id:
        raise ValidationError("Only the author assesses their own work.")
    if not work.is_editable:
        raise ValidationError(
            f"This work is {work.get_state_display().lower()}: your self-assessment went with the revision you "
            "submitted. You can change it again when changes are requested."
        )
    rubric = rubric_for_work(work)
    if rubric is None:
        raise ValidationError("No rubric applies to this work; an instructor must attach one.")
    chosen = _check_scores(rubric, scores)
    draft = SelfAssessmentDraft.objects.filter(work=work).first() or SelfAssessmentDraft(work=work)
    draft.rubric = rubric
    draft.levels = {str(c.pk): {"level": level.pk, "comment": comment} for c, level, comment in chosen}
    draft.feedback = feedback.strip()
    draft.score = _chosen_score(chosen)
    draft.full_clean(exclude=["work", "rubric"], validate_unique=False)  # both were just read from the database
    draft.save()
    return draft


@transaction.atomic
def self_assessment_attach(*, revision: Revision) -> Assessment | None:
    """Record the author's self-assessment draft as the SELF assessment of a just-submitted
    revision (same levels, comments and note, dated when the revision was submitted; the
    rubric version freezes as with any assessment). Returns the revision's self-assessment,
    or None when there is nothing to attach.

    Idempotent: a revision that has a self-assessment (attached before, or typed on the
    feedback page) keeps it. Nothing is attached when the draft was made with another rubric
    version than the one that applies now, when it no longer fits that version, when it was
    last saved before the previous revision was submitted (the student has not looked at it
    since revising), when a newer revision exists, or when the work is open for editing again
    (the draft may already be meant for the next revision). The draft is kept: it prefills
    the next revision's."""
    work = (
        WeeklyWork.objects.select_for_update(of=("self",)).select_related("cohort", "student").get(pk=revision.work_id)
    )
    draft = SelfAssessmentDraft.objects.filter(work=work).first()
    if draft is None:
        return None
    existing = Assessment.objects.filter(revision=revision, scorer_id=work.student_id, kind=Assessment.Kind.SELF)
    if found := existing.first():
        return found
    if work.latest_revision_id != revision.pk or work.is_editable:
        return None
    previous = Revision.objects.filter(work=work, number__lt=revision.number).order_by("-number").first()
    if previous is not None and draft.updated_at <= previous.submitted_at:
        return None  # saved for an earlier revision and not looked at since: it may not fit this one
    rubric = rubric_for_work(work)
    if rubric is None or rubric.pk != draft.rubric_id:
        return None
    _lock_for_scoring(rubric)
    try:
        chosen = _check_scores(rubric, draft.scores)
    except ValidationError:
        return None  # an unfrozen version was edited in the admin since the draft was saved
    return _store_assessment(
        revision=revision,
        rubric=rubric,
        scorer=work.student,
        kind=Assessment.Kind.SELF,
        chosen=chosen,
        feedback=draft.feedback,
        decision="",
        calibration_run=None,
        now=revision.submitted_at,
    )


# --- Peer review -----------------------------------------------------------------------------


def choose_reviewers(
    *,
    candidates: Iterable[int],
    total_load: Mapping[int, int],
    open_load: Mapping[int, int],
    count: int,
    seed: int,
) -> list[int]:
    """Pick `count` reviewers: the fewest assignments so far first, then the fewest still
    open, ties broken by a random order seeded with `seed` (so the choice is repeatable).

    Called once per revision with the whole cohort as candidates, so it keeps to one pass
    over them and a partial selection: a full shuffle and sort per revision took 9 of the 17
    seconds of a 6,012-revision backlog."""
    if count <= 0:
        return []
    tie_break = random.Random(seed).random
    ranked = [(total_load.get(pk, 0), open_load.get(pk, 0), tie_break(), pk) for pk in sorted(set(candidates))]
    return [pk for *_, pk in heapq.nsmallest(count, ranked)]


def peer_assign_reviewers(*, revision: Revision, now: datetime.datetime | None = None) -> list[PeerAssignment]:
    """Give one revision its peer reviewers (the task that follows a submit). Idempotent: a
    revision that has its reviewers gets no more. Returns all of its assignments."""
    assignments, _ = _peer_assign(Revision.objects.filter(pk=revision.pk), now=now or timezone.now())
    return assignments.get(revision.pk, [])


def peer_assignments_ensure(*, cohort: Cohort | None = None, now: datetime.datetime | None = None) -> int:
    """Give reviewers to every current revision (of `cohort`, or of every cohort) submitted
    within its cohort's peer review window that still lacks them: the scheduled sweep behind
    the task after each submit (which may have failed, or found too few classmates), and the
    instructor's "assign now". A fixed number of queries however many revisions wait.
    Returns how many revisions got reviewers."""
    now = now or timezone.now()
    cohorts = Cohort.objects.filter(peer_reviewers_per_submission__gt=0)
    if cohort is not None:
        cohorts = cohorts.filter(pk=cohort.pk)
    windows = list(cohorts.values_list("pk", "peer_review_window_days"))
    if not windows:
        return 0
    within_window = Q()
    for cohort_id, days in windows:
        within_window |= Q(work__cohort_id=cohort_id, submitted_at__gte=now - datetime.timedelta(days=days))
    wanting = (
        Revision.objects.filter(within_window, work__latest_revision=F("pk"))
        .annotate(assigned=Count("peer_assignments"))
        .filter(assigned__lt=F("work__cohort__peer_reviewers_per_submission"))
    )
    _, created = _peer_assign(wanting, now=now)
    return len({a.revision_id for a in created})


@transaction.atomic
def _peer_assign(
    revisions: QuerySet[Revision], *, now: datetime.datetime
) -> tuple[dict[int, list[PeerAssignment]], list[PeerAssignment]]:
    """Reviewers for each of `revisions` from its author's cohort (never the author, never twice
    the same person), the load balanced across the cohort, counting the ones chosen in this
    batch. Six queries for any number of revisions: the revisions (with their cohort's
    settings), a lock on their works (so the submit task and the sweep never both fill the
    same revision), what they have already, the cohorts' students, the reviewers' loads, and
    one insert. Returns revision id → its assignments (existing and new), and the new ones.

    Revisions are read as values, not model rows, and each cohort's new assignments are
    validated once (they differ only in revision and reviewer): 6,012 revisions take seconds,
    not the 86.5 s of one at a time."""
    wanting = list(
        revisions.order_by("submitted_at", "pk").values_list(
            "pk",
            "work_id",
            "work__student_id",
            "work__cohort_id",
            "work__cohort__peer_reviewers_per_submission",
            "work__cohort__peer_review_window_days",
            "work__cohort__peer_review_anonymous",
        )
    )
    if not wanting:
        return {}, []
    # In pk order, so two runs that lock overlapping works cannot deadlock.
    list(
        WeeklyWork.objects.select_for_update()
        .filter(pk__in={row[1] for row in wanting})
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    result: dict[int, list[PeerAssignment]] = {row[0]: [] for row in wanting}
    for assignment in PeerAssignment.objects.filter(revision_id__in=result):
        result[assignment.revision_id].append(assignment)
    cohort_ids = {row[3] for row in wanting}
    students: dict[int, set[int]] = {pk: set() for pk in cohort_ids}
    for cohort_id, user_id in (
        # Deactivated and erased accounts review nothing.
        Membership.objects.students()
        .filter(cohort_id__in=cohort_ids, user__is_active=True)
        .order_by()
        .values_list("cohort_id", "user_id")
    ):
        students[cohort_id].add(user_id)
    total_load: dict[int, dict[int, int]] = {pk: {} for pk in cohort_ids}
    open_load: dict[int, dict[int, int]] = {pk: {} for pk in cohort_ids}
    for row in (
        PeerAssignment.objects.filter(revision__work__cohort_id__in=cohort_ids)
        .values("revision__work__cohort_id", "reviewer_id")
        .annotate(total=Count("id"), open=Count("id", filter=Q(assessment__isnull=True)))
        .order_by()
    ):
        total_load[row["revision__work__cohort_id"]][row["reviewer_id"]] = row["total"]
        open_load[row["revision__work__cohort_id"]][row["reviewer_id"]] = row["open"]
    checked: set[int] = set()
    created = []
    for revision_id, _work_id, author_id, cohort_id, per_revision, window_days, anonymous in wanting:
        existing = result[revision_id]
        due_at = now + datetime.timedelta(days=window_days)
        if cohort_id not in checked:
            PeerAssignment(anonymous=anonymous, assigned_at=now, due_at=due_at).full_clean(
                exclude=["revision", "reviewer"]
            )
            checked.add(cohort_id)
        taken = {a.reviewer_id for a in existing}
        taken.add(author_id)
        chosen = choose_reviewers(
            candidates=students[cohort_id].difference(taken),
            total_load=total_load[cohort_id],
            open_load=open_load[cohort_id],
            count=per_revision - len(existing),
            seed=revision_id,
        )
        for reviewer_id in chosen:
            assignment = PeerAssignment(
                revision_id=revision_id,
                reviewer_id=reviewer_id,
                anonymous=anonymous,
                assigned_at=now,
                due_at=due_at,
            )
            existing.append(assignment)
            created.append(assignment)
            total_load[cohort_id][reviewer_id] = total_load[cohort_id].get(reviewer_id, 0) + 1
            open_load[cohort_id][reviewer_id] = open_load[cohort_id].get(reviewer_id, 0) + 1
    _insert_assignments(created)
    return result, created


def _insert_assignments(assignments: list[PeerAssignment]) -> None:
    """One INSERT for any number of assignments, its values in a fixed number of parameters:
    five arrays on PostgreSQL, one JSON list on SQLite. Django's bulk_create sends every value
    as a parameter (a 6,012-revision backlog's 60,120 came close to PostgreSQL's limit of
    65,535, SQLite needs a batch every 199 rows) and spent a second and a half building them."""
    if not assignments:
        return
    table = PeerAssignment._meta.db_table
    columns = "(revision_id, reviewer_id, anonymous, assigned_at, due_at)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT * FROM unnest("
                "%s::bigint[], %s::bigint[], %s::boolean[], %s::timestamptz[], %s::timestamptz[]"
                ") RETURNING id, revision_id, reviewer_id",
                [
                    [a.revision_id for a in assignments],
                    [a.reviewer_id for a in assignments],
                    [a.anonymous for a in assignments],
                    [a.assigned_at for a in assignments],
                    [a.due_at for a in assignments],
                ],
            )
        else:
            stored = connection.ops.adapt_datetimefield_value
            rows = [
                [a.revision_id, a.reviewer_id, int(a.anonymous), stored(a.assigned_at), stored(a.due_at)]
                for a in assignments
            ]
            cursor.execute(
                f"INSERT INTO {table} {columns} SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, "
                "value ->> 4 FROM json_each(%s) RETURNING id, revision_id, reviewer_id",
                [json.dumps(rows)],
            )
        ids = {(revision_id, reviewer_id): pk for pk, revision_id, reviewer_id in cursor.fetchall()}
    for assignment in assignments:
        assignment.pk = ids[(assignment.revision_id, assignment.reviewer_id)]
        assignment._state.adding = False
        assignment._state.db = connection.alias


# --- Calibration -----------------------------------------------------------------------------


@transaction.atomic
def calibration_run_create(
    *, cohort: Cohort, revision: Revision, created_by: User, mentors: Iterable[User], title: str = ""
) -> CalibrationRun:
    if not can_manage_cohort(created_by, cohort):
        raise ValidationError("Only the cohort's instructors start calibration runs.")
    work = revision.work
    if work.cohort_id != cohort.pk:
        raise ValidationError({"revision": "Choose a revision from this cohort."})
    mentors = list(mentors)
    mentor_ids = set(Membership.objects.filter(cohort=cohort).mentors().values_list("user_id", flat=True))
    if len(mentors) < 2:
        raise ValidationError({"mentors": "Choose at least two mentors: agreement needs more than one opinion."})
    if any(m.pk not in mentor_ids for m in mentors):
        raise ValidationError({"mentors": "Every chosen person must be a mentor of this cohort."})
    rubric = rubric_for_work(work)
    if rubric is None:
        raise ValidationError("No rubric applies to this work; attach one first.")
    run = CalibrationRun(
        cohort=cohort,
        revision=revision,
        rubric=rubric,
        title=title.strip() or f"Calibration: {work.target_label}, revision {revision.number}",
        created_by=created_by,
    )
    run.full_clean()
    run.save()
    run.mentors.set(mentors)
    # The chosen mentors' review queues list the run (core/pagecache.py keys them by this version).
    cohort_grades_changed(cohort_id=cohort.pk)
    return run
