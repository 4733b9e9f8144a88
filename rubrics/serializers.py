"""The rubrics API's input and output serializers (the viewsets are in api.py)."""

from rest_framework import serializers

from .models import Assessment, MasteryRule, PeerAssignment


class LevelOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    label = serializers.CharField()
    points = serializers.IntegerField()
    descriptor = serializers.CharField()


class CriterionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.IntegerField()
    levels = LevelOutput(many=True, help_text="Best level first.")


class RubricOutput(serializers.Serializer):
    family = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    criteria = CriterionOutput(many=True)


class QueueItemOutput(serializers.Serializer):
    work_id = serializers.IntegerField(source="work.pk")
    revision_id = serializers.IntegerField(source="revision.pk")
    revision_number = serializers.IntegerField(source="revision.number")
    student_id = serializers.IntegerField(source="work.student_id")
    student_name = serializers.CharField(source="work.student.display_name")
    cohort = serializers.CharField(source="work.cohort.slug", help_text="The cohort's slug.")
    week = serializers.IntegerField(source="work.week.number", allow_null=True, default=None)
    deliverable = serializers.CharField(source="work.deliverable.title", allow_null=True, default=None)
    state = serializers.CharField(source="work.state")
    submitted_at = serializers.DateTimeField(source="revision.submitted_at")
    deadline_at = serializers.DateTimeField(help_text="When the review is due.")
    overdue = serializers.BooleanField()


class CriterionScoreOutput(serializers.Serializer):
    criterion = serializers.IntegerField(source="criterion_id")
    criterion_title = serializers.CharField(source="criterion.title")
    level = serializers.IntegerField(source="level_id")
    level_label = serializers.CharField(source="level.label")
    points = serializers.IntegerField(source="level.points")
    comment = serializers.CharField()


class AssessmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Assessment.Kind.choices)
    reviewer = serializers.CharField(
        source="shown_reviewer", help_text="The reviewer's name, or “Peer reviewer N” when the review is anonymous."
    )
    rubric_family = serializers.CharField(source="rubric.family")
    rubric_version = serializers.IntegerField(source="rubric.version")
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="Weighted score, 0–100.")
    decision = serializers.ChoiceField(choices=Assessment.Decision.choices, allow_blank=True)
    feedback = serializers.CharField(help_text="Markdown.")
    submitted_at = serializers.DateTimeField()
    scores = CriterionScoreOutput(many=True, source="scores.all")


class PeerAssignmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    revision_id = serializers.IntegerField(help_text="Score it with POST /review/revisions/{revision_id}/assessments/.")
    revision_number = serializers.IntegerField(source="revision.number")
    target = serializers.CharField(source="revision.work.target_label", help_text="The week or capstone deliverable.")
    week = serializers.IntegerField(source="revision.work.week.number", allow_null=True, default=None)
    deliverable = serializers.CharField(source="revision.work.deliverable.title", allow_null=True, default=None)
    anonymous = serializers.BooleanField(help_text="Whether the author sees “Peer reviewer N” instead of your name.")
    assigned_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    done = serializers.BooleanField(source="is_done")
    overdue = serializers.SerializerMethodField()
    assessment_id = serializers.IntegerField(allow_null=True, help_text="Your review, once sent.")

    def get_overdue(self, assignment: PeerAssignment) -> bool:
        return not assignment.is_done and assignment.due_at < self.context["now"]


class LabelledText(serializers.Serializer):
    label = serializers.CharField()
    text = serializers.CharField(allow_blank=True, help_text="Markdown.")


class GateOutput(serializers.Serializer):
    text = serializers.CharField(help_text="The quality gate.")
    status = serializers.CharField()
    label = serializers.CharField(help_text="The status, as shown.")
    note = serializers.CharField(allow_blank=True)


class SuccessCriterionOutput(serializers.Serializer):
    criterion = serializers.CharField(allow_blank=True, default="")
    metric = serializers.CharField(allow_blank=True, default="")
    target = serializers.CharField(allow_blank=True, default="")
    measured = serializers.CharField(allow_blank=True, default="")


class PeerContentOutput(serializers.Serializer):
    """The frozen revision as the peer review page shows it (submissions.content.readable),
    without the snapshot's file names and risk log, which that page leaves out too."""

    is_capstone = serializers.BooleanField()
    deliverable_title = serializers.CharField(allow_blank=True)
    deliverable_text = serializers.CharField(allow_blank=True, help_text="Markdown; capstone work.")
    concept_text = serializers.CharField(allow_blank=True, help_text="Markdown; weekly work.")
    linked_objectives = serializers.ListField(child=serializers.CharField())
    lab_text = serializers.CharField(allow_blank=True, help_text="Markdown; weekly work.")
    gates = GateOutput(many=True)
    decision = LabelledText(many=True)
    criteria = SuccessCriterionOutput(many=True)
    next_actions = serializers.CharField(allow_blank=True, help_text="Markdown.")
    retrospective = LabelledText(many=True, allow_null=True, help_text="Null when the revision has none.")
    revision_note = serializers.CharField(allow_blank=True, help_text="Markdown.")


class PeerEvidenceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`file` or `link`.")
    label = serializers.CharField(help_text="“Evidence file N” or “Link N”: original file names are not shown.")
    proves = serializers.CharField()
    evidence_item = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_null=True, help_text="The link, for links.")
    download_url = serializers.CharField(allow_null=True, help_text="For files: served under a neutral name.")


class PeerReviewOutput(PeerAssignmentOutput):
    content = PeerContentOutput()
    evidence = PeerEvidenceOutput(many=True)


class ScoreInput(serializers.Serializer):
    criterion = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A criterion id of the rubric.")
    level = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A level id of that criterion.")
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class JudgementInput(serializers.Serializer):
    objective = serializers.IntegerField(help_text="An outcome objective of the revision's week.")
    met = serializers.BooleanField(help_text="Your judgement, instead of what the cohort's rule derives.")
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Required when it differs."
    )


class AssessmentCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=Assessment.Kind.choices,
        help_text="mentor: the student's mentors and instructors; peer: an assigned reviewer; self: the author "
        "(calibration scoring happens on the calibration pages).",
    )
    decision = serializers.ChoiceField(
        choices=Assessment.Decision.choices, required=False, allow_blank=True, default="", help_text="Mentors only."
    )
    feedback = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    scores = ScoreInput(many=True, help_text="One entry per criterion of the rubric.")
    judgements = JudgementInput(
        many=True,
        required=False,
        default=list,
        help_text="A mentor who accepts: override the judgement the cohort's mastery rule derives for some of the "
        "week's outcome objectives, each with a reason. The others follow the rule.",
    )

    def validate_judgements(self, judgements):
        objectives = [j["objective"] for j in judgements]
        if len(objectives) != len(set(objectives)):
            raise serializers.ValidationError("Give each objective once.")
        return judgements

    def validate_kind(self, kind):
        if kind == Assessment.Kind.CALIBRATION:
            raise serializers.ValidationError("Calibration scoring happens on the calibration pages.")
        return kind

    def validate_scores(self, scores):
        criteria = [score["criterion"] for score in scores]
        if len(criteria) != len(set(criteria)):
            raise serializers.ValidationError("Give each criterion once.")
        return scores


class ReviewQueueQuery(serializers.Serializer):
    cohort = serializers.SlugField(max_length=100, required=False, help_text="Only this cohort's work (its slug).")
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only reviews past (true) or within (false) their due time.",
    )


class MasteryRuleInput(serializers.Serializer):
    min_points = serializers.IntegerField(
        min_value=1,
        max_value=100,
        help_text="The points of the lowest level that counts as met, e.g. 3 (Proficient) of 4; at most the top "
        "level of the cohort's rubrics (a higher one is a 400 on min_points).",
    )
    require = serializers.ChoiceField(
        choices=MasteryRule.Require.choices,
        help_text="every: every linked criterion must reach it; average: their average must.",
    )


class MasteryRuleOutput(serializers.Serializer):
    cohort = serializers.CharField()
    min_points = serializers.IntegerField()
    require = serializers.CharField()
    description = serializers.CharField(help_text="The rule in words, as the scoring page shows it.")
    is_default = serializers.BooleanField(help_text="No instructor has set it: the default rule applies.")
    max_points = serializers.IntegerField(
        allow_null=True, help_text="The highest min_points this cohort's rubrics allow (null: no linked criterion)."
    )
