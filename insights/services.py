"""Actions that change insights' state: only the at-risk rules are stored."""

from django.db import transaction

from cohorts.models import Cohort
from cohorts.services import cohort_grades_changed

from .models import AtRiskRules

RULE_FIELDS = ("weeks_behind", "falling_score_weeks", "max_revisions", "missing_retrospectives", "overdue_high_risks")


@transaction.atomic
def at_risk_rules_update(*, cohort: Cohort, **thresholds: int) -> AtRiskRules:
    """Save the cohort's at-risk thresholds (creating its row on first use); the callers
    check insights.policies.can_tune_at_risk_rules first."""
    unknown = set(thresholds) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown at-risk rules: {sorted(unknown)}")
    rules = AtRiskRules.objects.select_for_update().filter(cohort=cohort).first() or AtRiskRules(cohort=cohort)
    for name, value in thresholds.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    cohort_grades_changed(cohort_id=cohort.pk)  # the gradebook's at-risk marks and filter
    return rules
