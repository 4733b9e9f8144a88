"""Output shapes of a learner's grades and mastery in the API (read-only)."""

from rest_framework import serializers


class GradeLineOutput(serializers.Serializer):
    key = serializers.CharField(
        help_text="w<number> for a week, d<id> for a capstone deliverable, as in the gradebook."
    )
    label = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField(help_text="The gradebook's state key: accepted, missing, not_started, …")
    state_label = serializers.CharField()
    score = serializers.CharField(
        allow_blank=True, help_text="Weighted rubric score 0–100 of the latest mentor review."
    )
    late = serializers.BooleanField()
    decision = serializers.CharField(allow_blank=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    running_average = serializers.CharField(allow_blank=True)
    feedback_revision_id = serializers.IntegerField(allow_null=True)


class GradesOutput(serializers.Serializer):
    cohort = serializers.CharField()
    student = serializers.IntegerField()
    accepted = serializers.IntegerField()
    total = serializers.IntegerField()
    scored = serializers.IntegerField()
    average = serializers.CharField(allow_blank=True)
    late = serializers.IntegerField()
    lines = GradeLineOutput(many=True)


class MasteryObjectiveOutput(serializers.Serializer):
    text = serializers.CharField()
    state = serializers.CharField(help_text="met, not_yet, not_assessed or not_due.")


class MasteryCellOutput(serializers.Serializer):
    week = serializers.IntegerField()
    bloom_level = serializers.CharField()
    state = serializers.CharField(help_text="met, not_yet, not_assessed or not_due.")
    objectives = MasteryObjectiveOutput(many=True)


class LevelSummaryOutput(serializers.Serializer):
    bloom_level = serializers.CharField()
    total = serializers.IntegerField()
    met = serializers.IntegerField()
    not_met = serializers.IntegerField()
    not_assessed = serializers.IntegerField()
    not_due = serializers.IntegerField()


class TrendPointOutput(serializers.Serializer):
    week = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    cohort_median = serializers.FloatField(allow_null=True)


class CriterionTrendOutput(serializers.Serializer):
    criterion = serializers.CharField()
    points = TrendPointOutput(many=True)


class MasteryOutput(serializers.Serializer):
    cohort = serializers.CharField()
    student = serializers.IntegerField()
    summary = LevelSummaryOutput(many=True)
    cells = MasteryCellOutput(many=True)
    trends = CriterionTrendOutput(many=True)
