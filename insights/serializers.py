"""Input and output shapes of the insights API (read-only): the at-risk list with its reasons
and the rules in force, and review turnaround."""

from rest_framework import serializers


class AtRiskReasonOutput(serializers.Serializer):
    rule = serializers.CharField(
        help_text="The rule that raised it: weeks_behind, falling_score_weeks, max_revisions, missing_retrospectives "
        "or overdue_high_risks."
    )
    label = serializers.CharField(help_text="The rule's name as the page shows it, e.g. “Weeks behind”.")
    detail = serializers.CharField(help_text="What the student met it with, e.g. “2 missing: weeks 4, 5”.")


class AtRiskStudentOutput(serializers.Serializer):
    student = serializers.IntegerField(help_text="The student's user id.")
    name = serializers.CharField()
    reasons = AtRiskReasonOutput(many=True)


class AtRiskRulesOutput(serializers.Serializer):
    weeks_behind = serializers.IntegerField(help_text="At risk with at least this many missing weeks (0: off).")
    falling_score_weeks = serializers.IntegerField(
        help_text="At risk when the mentor scores fell over this many scored weeks in a row (0: off)."
    )
    max_revisions = serializers.IntegerField(
        help_text="At risk with more than this many revisions on one week (0: off)."
    )
    missing_retrospectives = serializers.IntegerField(
        help_text="At risk with at least this many past-due weeks without a finished retrospective (0: off)."
    )
    overdue_high_risks = serializers.IntegerField(
        help_text="At risk with at least this many high or critical risks open past their week (0: off)."
    )
    description = serializers.CharField(help_text="The rules in one sentence, as the reports print them.")


class AtRiskPageOutput(serializers.Serializer):
    count = serializers.IntegerField(help_text="Students at risk among those the caller follows.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    students_followed = serializers.IntegerField(
        help_text="Students the caller follows: the whole cohort for its instructors, their own for a mentor."
    )
    rules = AtRiskRulesOutput()
    results = AtRiskStudentOutput(many=True)


class TurnaroundQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD); default: 27 days before today.")
    end = serializers.DateField(required=False, help_text="Last day, included (YYYY-MM-DD); default: today.")


class TurnaroundFiguresOutput(serializers.Serializer):
    decisions = serializers.IntegerField(help_text="Mentor decisions (accept or request changes) made in the period.")
    median_seconds = serializers.IntegerField(
        allow_null=True, help_text="Median time from a submission to the decision on it (null without decisions)."
    )
    median = serializers.CharField(help_text="The median as the page says it, e.g. “15 h” (“–” without decisions).")
    p90_seconds = serializers.IntegerField(allow_null=True, help_text="90th percentile, interpolated.")
    p90 = serializers.CharField()
    within_deadline = serializers.IntegerField(help_text="Decisions made within the cohort's review deadline.")
    within_percent = serializers.IntegerField(allow_null=True)
    p90_over_deadline = serializers.BooleanField(help_text="More than one decision in ten came after the deadline.")


class ReviewerTurnaroundOutput(TurnaroundFiguresOutput):
    reviewer = serializers.IntegerField(help_text="The reviewer's user id.")
    name = serializers.CharField()


class TurnaroundOutput(serializers.Serializer):
    cohort = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    deadline_hours = serializers.IntegerField(help_text="The cohort's review deadline.")
    cohort_figures = TurnaroundFiguresOutput(help_text="Every decision on the cohort's work in the period.")
    reviewers = ReviewerTurnaroundOutput(
        many=True, help_text="Per reviewer (a mentor sees only their own row), fastest median first."
    )
