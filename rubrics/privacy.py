"""What rubrics holds about a person (see core.privacy): feedback received on their work,
feedback they gave (peer, self, mentor reviews), the judgements of their objectives made at
acceptance, peer-review assignments, self-assessment drafts and a mentor's draft assessments
(scoring in progress, deleted on erasure whether written by or about the person).

The export names reviewers exactly as the person saw them (`feedback_for_revisions`, so
anonymous peers stay "Peer reviewer N") and never names the author of work the person
peer-reviewed (peers never see it).

Erasure keeps every assessment's levels and score, so gradebooks and cohort statistics still
count them; the person's self-assessment words and drafts go; words others wrote about the
person's work stay (they are the mentor's and peers' feedback) with every mention of the
person's name or address replaced by the pseudonym, and so do the words the person wrote
about others' work. Peer reviews assigned to the person and not written yet are withdrawn
(and deactivated accounts are never chosen as reviewers), so classmates get another reviewer.
"""

from django.db.models import Q

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive
from submissions.models import Revision

from .models import (
    Assessment,
    AssessmentDraft,
    CriterionScore,
    ObjectiveJudgement,
    PeerAssignment,
    SelfAssessmentDraft,
)
from .selectors import feedback_for_revisions


def _scores(assessment: Assessment) -> list[dict]:
    return [
        {
            "criterion": s.criterion.title,
            "level": s.level.label,
            "points": s.level.points,
            "comment": s.comment,
        }
        for s in assessment.scores.all()
    ]


def _assessment_data(assessment: Assessment, shown_scorer: str | None) -> dict:
    data = {
        "kind": assessment.kind,
        "submitted_at": assessment.submitted_at.isoformat(),
        "rubric": str(assessment.rubric),
        "score": str(assessment.score),
        "decision": assessment.decision,
        "feedback": assessment.feedback,
        "scores": _scores(assessment),
    }
    if shown_scorer is not None:
        data["reviewer"] = shown_scorer
    return data


def _export(user: User, archive: ExportArchive) -> None:
    revisions = list(
        Revision.objects.filter(work__student=user)
        .select_related("work__week", "work__deliverable", "work__cohort")
        .order_by("work_id", "number")
    )
    feedback = feedback_for_revisions(revisions, viewer=user)
    received = []
    for revision in revisions:
        bucket = feedback[revision.pk]
        items = [_assessment_data(a, a.scorer.display_name) for a in bucket.mentor]
        items += [_assessment_data(a, shown) for shown, a in bucket.peer]
        if bucket.self_assessment is not None:
            items.append(_assessment_data(bucket.self_assessment, "you"))
        if items:
            received.append({"work": revision.work.target_label, "revision": revision.number, "assessments": items})
    given = []
    for assessment in (
        Assessment.objects.filter(scorer=user)
        .exclude(kind=Assessment.Kind.SELF)
        .select_related("rubric", "revision__work__week", "revision__work__deliverable", "revision__work__student")
        .prefetch_related("scores__criterion", "scores__level")
        .order_by("submitted_at", "pk")
    ):
        work = assessment.revision.work
        item = _assessment_data(assessment, None)
        item["work"] = work.target_label
        item["revision"] = assessment.revision.number
        # Peer reviewers never learn whose work they reviewed; mentors and instructors do.
        item["author"] = "a classmate" if assessment.kind == Assessment.Kind.PEER else work.student.display_name
        given.append(item)
    archive.add_json(
        "feedback.json",
        {
            "received": received,
            "given": given,
            "objective_judgements": [
                {
                    "work": j.work.target_label,
                    "objective": j.objective.text,
                    "met": j.met,
                    "derived_met": j.derived_met,
                    "rule": j.rule,
                    "reason": j.reason,
                    "judged_at": j.assessment.submitted_at.isoformat(),
                }
                for j in ObjectiveJudgement.objects.filter(work__student=user)
                .select_related("work__week", "work__deliverable", "objective", "assessment")
                .order_by("assessment__submitted_at", "objective__order")
            ],
            "peer_reviews_assigned": [
                {
                    "work": a.revision.work.target_label,
                    "revision": a.revision.number,
                    "anonymous": a.anonymous,
                    "assigned_at": a.assigned_at.isoformat(),
                    "due_at": a.due_at.isoformat(),
                    "done": a.is_done,
                }
                for a in PeerAssignment.objects.filter(reviewer=user).select_related(
                    "revision__work__week", "revision__work__deliverable"
                )
            ],
            "self_assessment_drafts": [
                {"work": d.work.target_label, "score": str(d.score), "levels": d.levels, "feedback": d.feedback}
                for d in SelfAssessmentDraft.objects.filter(work__student=user).select_related(
                    "work__week", "work__deliverable"
                )
            ],
            # A mentor's scoring in progress is theirs (the student never sees it).
            "draft_assessments_written": [
                {
                    "work": d.revision.work.target_label,
                    "revision": d.revision.number,
                    "levels": d.levels,
                    "feedback": d.feedback,
                    "decision": d.decision,
                    "saved_at": d.updated_at.isoformat(),
                }
                for d in AssessmentDraft.objects.filter(scorer=user).select_related(
                    "revision__work__week", "revision__work__deliverable"
                )
            ],
        },
    )


def _scrub_assessments(erasure: Erasure, assessments) -> int:
    changed = 0
    for assessment in assessments:
        scrubbed = erasure.scrub_text(assessment.feedback)
        if scrubbed != assessment.feedback:
            assessment.feedback = scrubbed
            assessment.save(update_fields=["feedback"])
            changed += 1
    return changed


def _erase(erasure: Erasure) -> None:
    user = erasure.user
    # Reviews the person will never write: the next "assign missing peer reviewers" sweep
    # gives those revisions someone else.
    erasure.count(
        "open peer reviews withdrawn",
        PeerAssignment.objects.filter(reviewer=user, assessment__isnull=True).delete()[0],
    )
    erasure.count("self-assessment drafts deleted", SelfAssessmentDraft.objects.filter(work__student=user).delete()[0])
    # Unsent scoring, by the person or about their work: nothing recorded depends on it.
    erasure.count(
        "draft assessments deleted",
        AssessmentDraft.objects.filter(Q(scorer=user) | Q(revision__work__student=user)).delete()[0],
    )
    own = Assessment.objects.filter(scorer=user, kind=Assessment.Kind.SELF)
    erasure.count("self-assessments' words removed", own.exclude(feedback="").update(feedback=""))
    erasure.count(
        "self-assessment comments removed",
        CriterionScore.objects.filter(assessment__in=own).exclude(comment="").update(comment=""),
    )
    about_or_by = Assessment.objects.filter(revision__work__student=user) | Assessment.objects.filter(scorer=user)
    erasure.count("feedback mentions replaced", _scrub_assessments(erasure, about_or_by.distinct()))
    comments = 0
    for score in CriterionScore.objects.filter(assessment__in=about_or_by.values("pk")).exclude(comment=""):
        scrubbed = erasure.scrub_text(score.comment)
        if scrubbed != score.comment:
            score.comment = scrubbed
            score.save(update_fields=["comment"])
            comments += 1
    erasure.count("comment mentions replaced", comments)
    reasons = 0
    for judgement in ObjectiveJudgement.objects.filter(assessment__in=about_or_by.values("pk")).exclude(reason=""):
        scrubbed = erasure.scrub_text(judgement.reason)
        if scrubbed != judgement.reason:
            judgement.reason = scrubbed
            judgement.save(update_fields=["reason"])
            reasons += 1
    erasure.count("objective judgement mentions replaced", reasons)


PROVIDER = DataProvider(
    label="Feedback and peer review",
    models=(
        "rubrics.Assessment",
        "rubrics.CriterionScore",
        "rubrics.SelfAssessmentDraft",
        "rubrics.AssessmentDraft",
        "rubrics.PeerAssignment",
        "rubrics.CalibrationRun",
        "rubrics.ObjectiveJudgement",
    ),
    export=_export,
    erase=_erase,
)
