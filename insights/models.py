"""What makes a student "at risk" in one cohort: thresholds its instructors tune. A cohort
without a row uses the defaults below (reading the rules never creates one)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models

from cohorts.models import Cohort

# The largest sensible threshold for each count: the course has 24 weeks.
MAX_WEEKS = 24
MAX_REVISIONS = 20


class AtRiskRules(models.Model):
    """One cohort's at-risk thresholds. A threshold of 0 turns its rule off."""

    cohort = models.OneToOneField(Cohort, on_delete=models.CASCADE, related_name="at_risk_rules")
    weeks_behind = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(MAX_WEEKS)],
        help_text="At risk when at least this many weeks are missing (past due, extensions applied, "
        "nothing submitted). 0 turns the rule off.",
    )
    falling_score_weeks = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(MAX_WEEKS)],
        help_text="At risk when the mentor scores of the last this-many scored weeks each fall below "
        "the one before (at least 2). 0 turns the rule off.",
    )
    max_revisions = models.PositiveSmallIntegerField(
        default=3,
        validators=[MaxValueValidator(MAX_REVISIONS)],
        help_text="At risk when one week has more than this many revisions. 0 turns the rule off.",
    )
    missing_retrospectives = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(MAX_WEEKS)],
        help_text="At risk when at least this many weeks past their due date have no finished "
        "retrospective (retain, improve and scale). 0 turns the rule off.",
    )
    overdue_high_risks = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(MAX_REVISIONS)],
        help_text="At risk when at least this many high or critical risks are still open after the week "
        "they were logged in was due. 0 turns the rule off.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "at-risk rules"
        verbose_name_plural = "at-risk rules"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(falling_score_weeks=1), name="at_risk_falling_scores_need_two_weeks"
            ),
        ]

    def __str__(self) -> str:
        return f"At-risk rules of {self.cohort}"

    def describe(self) -> str:
        """The rules in one sentence, for the reports that apply them."""
        rules = [
            self.weeks_behind and f"at least {self.weeks_behind} missing weeks (past due, extensions applied)",
            self.falling_score_weeks and f"mentor scores falling over the last {self.falling_score_weeks} scored weeks",
            self.max_revisions and f"more than {self.max_revisions} revisions on one week",
            self.missing_retrospectives
            and f"at least {self.missing_retrospectives} past-due weeks without a finished retrospective",
            self.overdue_high_risks
            and f"at least {self.overdue_high_risks} high or critical risks open past their week",
        ]
        active = [rule for rule in rules if rule]
        if not active:
            return "At risk: every rule of this cohort is turned off."
        return "At risk (the cohort's rules) when any holds: " + "; ".join(active) + "."

    def clean(self) -> None:
        if self.falling_score_weeks == 1:
            raise ValidationError(
                {"falling_score_weeks": "A fall needs at least two scored weeks: choose 2 or more, or 0 for off."}
            )


class AtRiskInputs(models.Model):
    """What the at-risk rules read of one student of one cohort, kept up to date by the write
    path (insights.services.at_risk_inputs_refresh, in the transaction of the change) so that
    a cohort's at-risk map is one indexed read of these rows, whatever the cohort's size.

    Each field holds the facts, never a verdict: the thresholds (which instructors change at
    any time) and "past due" (which changes with time alone) are applied when the rows are
    read (insights.selectors.at_risk_from_inputs). Week numbers are the course's."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    # The weeks with a submitted revision (a week without one is "missing" once past due).
    submitted_weeks = models.JSONField(default=list, blank=True)
    # [week, score as text] of each scored week, in week order: the latest mentor score of the
    # week's work (text keeps the decimal exact).
    scores = models.JSONField(default=list, blank=True)
    # [week, revisions] of each week with two revisions or more, in week order.
    revisions = models.JSONField(default=list, blank=True)
    # The weeks with a finished retrospective (retain, improve and scale written).
    retrospective_weeks = models.JSONField(default=list, blank=True)
    # [week logged, how many] of the high or critical risks still open, in week order.
    open_high_risks = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "at-risk inputs"
        verbose_name_plural = "at-risk inputs"
        constraints = [
            models.UniqueConstraint(fields=["cohort", "student"], name="at_risk_inputs_one_per_student"),
        ]

    def __str__(self) -> str:
        return f"At-risk inputs of student {self.student_id} in cohort {self.cohort_id}"
