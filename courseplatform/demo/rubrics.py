"""Demo reviews: the default rubrics in use, mentor scores for the demo cohort's past
decisions, a review queue with one item past its deadline, peer reviews, a self-assessment
and one calibration run. Idempotent: nothing is added once the cohort has assessments.
Apart from those, one student has a self-assessment saved before submitting, on a week still
in draft (added once, whenever it is missing)."""

import datetime
from collections import defaultdict

from cohorts.models import MentorAssignment
from courseplatform.demo import DemoContext
from rubrics import selectors, services
from rubrics.models import Assessment, CalibrationRun, ObjectiveJudgement, PeerAssignment, SelfAssessmentDraft
from submissions import services as submission_services
from submissions.models import Revision, WeeklyWork

COMMENTS = {
    "Architecture-level decision quality": (
        "You compare the options on their system-wide effect (connection pool, cache, replicas), not just the code "
        "path. This is the level the course asks for.",
        "The analysis stays inside one component. Say what the choice does to the rest of the system under load.",
    ),
    "Trade-off and risk reasoning": (
        "The trade-offs are quantified and each risk has a mitigation and a trigger to revisit. A stakeholder could "
        "sign this off.",
        "Only one option is really explored. Add the cache option with its staleness cost, and give each risk a "
        "mitigation.",
    ),
    "Measurable success criteria and evidence": (
        "Every criterion has a target and a measured value, and the k6 summary backs the p95 claim.",
        "The p95 target is stated but the measured value misses it and no next action follows. Close that loop.",
    ),
    "Quality gates passed": (
        "All gates ran under the lab's constraints and the failure on the first run is explained and fixed.",
        "One gate failed and the note only says “re-run later”. Run it again and show the numbers.",
    ),
    "Publication quality": (
        "Reads well for someone outside the course; the outcome narrative is short and the proof is well chosen.",
        "The lab report is a log of steps. Lead with the result, then the evidence, then the steps.",
    ),
}
FALLBACK_COMMENT = ("Strong work on this criterion.", "This criterion needs another pass; see the overall feedback.")

FEEDBACK = {
    Assessment.Decision.ACCEPT: (
        "Accepted. The measurements carry the argument and the decision record would survive a design review. "
        "For the portfolio, shorten the lab narrative and lead with the p95 result."
    ),
    Assessment.Decision.REQUEST_CHANGES: (
        "Good start, but not yet at the level of the rubric. Please:\n\n"
        "1. Compare at least two real options in the decision record, with their costs.\n"
        "2. Re-run the failing quality gate and report the numbers.\n"
        "3. Say in the revision note what you changed."
    ),
}
CALIBRATION_POINTS = ([4, 3, 3, 2, 3], [4, 3, 2, 2, 3])
PEER_FEEDBACK = (
    "I learned from how you traced each hop. The decision record convinced me; I would add the write cost of the "
    "index as a number.",
    "Clear structure. I could not find the measured value for the error-rate criterion; maybe attach the k6 summary?",
)


def _scores(criteria, *, quality: float, seed: int, with_comments: bool = True) -> dict:
    """A level per criterion around `quality` (1–4), varied deterministically by `seed`."""
    chosen = {}
    for index, criterion in enumerate(criteria):
        target = max(1, min(4, int(quality + ((seed + 2 * index) % 3 - 1) * 0.6 + 0.5)))
        levels = list(criterion.levels.all())
        level = min(levels, key=lambda lv: abs(lv.points - target))
        good, weak = COMMENTS.get(criterion.title, FALLBACK_COMMENT)
        comment = (good if level.points >= 3 else weak) if with_comments and (seed + index) % 2 == 0 else ""
        chosen[criterion.pk] = (level.pk, comment)
    return chosen


def _quality(week_number: int, decision: str) -> float:
    quality = min(3.8, 2.3 + 0.3 * (week_number - 1))
    return quality - 0.9 if decision == Assessment.Decision.REQUEST_CHANGES else quality


def _one_override(work: WeeklyWork, scores: dict) -> dict:
    """A mentor's override of one objective the rule judged not met, with the reason a mentor
    would give; empty when the rule met them all."""
    rubric = selectors.rubric_for_work(work)
    links = selectors.objective_links_for_work(work, rubric)
    points = {
        c.pk: next(lv.points for lv in c.levels.all() if lv.pk == scores[c.pk][0])
        for c in selectors.rubric_criteria(rubric)
    }
    checks = selectors.derive_objective_judgements(selectors.mastery_rule_for(work.cohort), links, points)
    missed = next((check for check in checks if check.derived is False), None)
    if missed is None:
        return {}
    return {
        missed.objective.pk: (
            True,
            "The write-up undersells it: in the lab session the quality gates ran under the stated constraints and "
            "passed, and the student walked me through the data.",
        )
    }


# How long a mentor's past reviews took, one after another: the first mentor decides within a
# day, the second within two to four and misses the 72-hour deadline one time in three (the
# review turnaround page shows the difference).
REVIEW_HOURS = ((6, 14, 20, 9, 17), (40, 58, 76, 50, 94, 62))


def _review_delay(demo: DemoContext, mentor, nth: int) -> datetime.timedelta:
    hours = REVIEW_HOURS[0 if mentor == demo.mentors[0] else 1]
    return datetime.timedelta(hours=hours[nth % len(hours)])


def _week_number(work: WeeklyWork) -> int:
    return work.due_week.number


def _ensure_some_work(demo: DemoContext) -> None:
    """Without the workspace demo, give every student one submitted week to review."""
    week = demo.course.weeks.get(number=1)
    for index, student in enumerate(demo.students):
        work = submission_services.work_get_or_create(student=student, cohort=demo.cohort, week=week)
        if work.latest_revision_id:
            continue
        submission_services.work_save_draft(
            work=work,
            content={"concept": {"text": "The request path: proxy, app server, ORM, database.", "objective_ids": []}},
            expected_version=work.draft_version,
            by=student,
        )
        submission_services.work_submit(work=work, by=student, now=demo.now - datetime.timedelta(hours=5 + 30 * index))


def _self_assessment_draft(demo: DemoContext) -> None:
    """The first student self-assesses their newest draft week before submitting it."""
    if not demo.students or SelfAssessmentDraft.objects.filter(work__cohort=demo.cohort).exists():
        return
    student = demo.students[0]
    work = (
        WeeklyWork.objects.filter(cohort=demo.cohort, student=student, state=WeeklyWork.State.DRAFT, week__isnull=False)
        .select_related("cohort", "week")
        .order_by("-week__number")
        .first()
    )
    rubric = selectors.rubric_for_work(work) if work is not None else None
    if rubric is None:
        return
    draft = services.self_assessment_save_draft(
        work=work,
        by=student,
        scores=_scores(selectors.rubric_criteria(rubric), quality=2.6, seed=work.pk, with_comments=False),
        feedback="Measured before and after this time; I am least sure the decision record weighs the cache option.",
    )
    demo.write(f"  Self-assessment before submitting: {work.target_label} ({student.email}), {draft.score} / 100.")


def seed(demo: DemoContext) -> None:
    if demo.cohort is None:
        return
    cohort = demo.cohort
    services.rubric_install_defaults(course=demo.course)
    _self_assessment_draft(demo)
    if Assessment.objects.filter(revision__work__cohort=cohort).exists():
        demo.write("Reviews exist already; nothing added.")
        return
    if not Revision.objects.filter(work__cohort=cohort).exists():
        _ensure_some_work(demo)
    mentor_of = {
        a.student_id: a.mentor for a in MentorAssignment.objects.filter(cohort=cohort).select_related("mentor")
    }
    now = demo.now

    # Submit two of the current week's drafts a few hours ago, so the queue has fresh items.
    fresh = []
    for student, hours in zip(demo.students[2::3], (5, 26), strict=False):
        work = (
            WeeklyWork.objects.filter(cohort=cohort, student=student, state=WeeklyWork.State.DRAFT, week__isnull=False)
            .order_by("-week__number")
            .first()
        )
        if work is not None:
            fresh.append(
                submission_services.work_submit(work=work, by=student, now=now - datetime.timedelta(hours=hours))
            )

    # Scores for the decisions the workspace demo already made.
    revisions = list(
        Revision.objects.filter(work__cohort=cohort)
        .select_related("work__cohort", "work__student", "work__week", "work__deliverable__due_week")
        .order_by("submitted_at", "pk")
    )
    criteria_cache: dict[int, list] = {}

    def criteria_for(work: WeeklyWork):
        rubric = selectors.rubric_for_work(work)
        if rubric.pk not in criteria_cache:
            criteria_cache[rubric.pk] = selectors.rubric_criteria(rubric)
        return criteria_cache[rubric.pk]

    waiting = []
    past = overridden = 0
    reviews_by: dict[int, int] = defaultdict(int)
    for revision in revisions:
        work = revision.work
        if work.latest_revision_id == revision.pk and work.state in WeeklyWork.AWAITING_REVIEW_STATES:
            waiting.append(revision)
            continue
        decision = (
            Assessment.Decision.ACCEPT
            if work.latest_revision_id == revision.pk and work.state == WeeklyWork.State.ACCEPTED
            else Assessment.Decision.REQUEST_CHANGES
        )
        scores = _scores(criteria_for(work), quality=_quality(_week_number(work), decision), seed=revision.pk)
        judgements = {}
        if decision == Assessment.Decision.ACCEPT and not overridden:
            judgements = _one_override(work, scores)
            overridden += bool(judgements)
        mentor = mentor_of[work.student_id]
        reviews_by[mentor.pk] += 1
        services.assessment_record_past_review(
            revision=revision,
            scorer=mentor,
            scores=scores,
            feedback=FEEDBACK[decision],
            decision=decision,
            submitted_at=min(revision.submitted_at + _review_delay(demo, mentor, reviews_by[mentor.pk]), now),
            judgements=judgements,
        )
        past += 1

    # The queue: keep the oldest item past its deadline waiting, review the other late ones now.
    deadline = datetime.timedelta(hours=cohort.review_deadline_hours)
    overdue = [r for r in waiting if now - r.submitted_at > deadline]
    for index, revision in enumerate(overdue[1:]):
        decision = Assessment.Decision.REQUEST_CHANGES if index == 0 else Assessment.Decision.ACCEPT
        services.assessment_record(
            revision=revision,
            scorer=mentor_of[revision.work.student_id],
            kind=Assessment.Kind.MENTOR,
            scores=_scores(
                criteria_for(revision.work), quality=_quality(_week_number(revision.work), decision), seed=revision.pk
            ),
            feedback=FEEDBACK[decision],
            decision=decision,
            now=min(revision.submitted_at + datetime.timedelta(days=2), now),
        )

    # Peer review of the recent revisions: two reviewers each, most reviews written.
    recent = [r for r in revisions if _week_number(r.work) >= 4 and r.work.latest_revision_id == r.pk]
    peer_done = 0
    for index, revision in enumerate(recent):
        assignments = services.peer_assign_reviewers(revision=revision, now=revision.submitted_at)
        if index % 3 == 2:
            continue  # still open
        for number, assignment in enumerate(assignments):
            services.assessment_record(
                revision=revision,
                scorer=assignment.reviewer,
                kind=Assessment.Kind.PEER,
                scores=_scores(criteria_for(revision.work), quality=3.0, seed=revision.pk + number + 1),
                feedback=PEER_FEEDBACK[number % 2],
                now=min(revision.submitted_at + datetime.timedelta(hours=30 + number), now),
            )
            peer_done += 1

    # A self-assessment by the first student on their latest revision.
    own = next((r for r in reversed(revisions) if r.work.student_id == demo.students[0].pk), None)
    if own is not None:
        services.assessment_record(
            revision=own,
            scorer=demo.students[0],
            kind=Assessment.Kind.SELF,
            scores=_scores(criteria_for(own.work), quality=3.2, seed=own.pk + 7, with_comments=False),
            feedback="I think the measurements are solid; the publication quality is where I am least sure.",
            now=min(own.submitted_at + datetime.timedelta(hours=1), now),
        )

    # One calibration run: both mentors score the same accepted revision.
    sample = next(
        (r for r in revisions if r.work.state == WeeklyWork.State.ACCEPTED and _week_number(r.work) == 2), None
    )
    if sample is not None and len(demo.mentors) >= 2 and not CalibrationRun.objects.filter(cohort=cohort).exists():
        run = services.calibration_run_create(
            cohort=cohort,
            revision=sample,
            created_by=demo.instructor,
            mentors=demo.mentors[:2],
            title="Calibration: week 2 API design, one accepted revision",
        )
        # Close, not identical: they differ by one level on one criterion, as real mentors do.
        for offset, (mentor, points) in enumerate(zip(demo.mentors[:2], CALIBRATION_POINTS, strict=True)):
            criteria = criteria_for(sample.work)
            services.assessment_record(
                revision=sample,
                scorer=mentor,
                kind=Assessment.Kind.CALIBRATION,
                scores={
                    c.pk: (next(lv.pk for lv in c.levels.all() if lv.points == p), "")
                    for c, p in zip(criteria, points, strict=False)
                },
                feedback="Scored for calibration.",
                calibration_run=run,
                now=now - datetime.timedelta(hours=2 - offset),
            )
    judged = ObjectiveJudgement.objects.filter(work__cohort=cohort)
    demo.write(
        f"Objectives judged at acceptance: {judged.filter(met=True).count()} met, "
        f"{judged.filter(met=False).count()} not yet met, {overridden} overridden by a mentor with a reason."
    )
    demo.write(
        f"Reviews: {past} past mentor reviews scored, {len(overdue[1:])} reviewed now, "
        f"{len(waiting) - len(overdue[1:])} waiting in the queue (1 past its deadline), "
        f"{PeerAssignment.objects.filter(revision__work__cohort=cohort).count()} peer assignments "
        f"({peer_done} reviewed), one calibration run."
    )
