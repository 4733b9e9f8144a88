"""The insights forms: the at-risk rules, the turnaround period, and the gradebook's and the
heatmap's query string (sort, direction, mentor and state filters, the keyset cursor), where a
bad value never fails the page: that one field falls back to its default."""

import datetime

from django import forms

from rubrics.selectors import GRADEBOOK_SORTS, GradebookQuery, GradeColumn, decode_cursor
from submissions.models import WORK_STATUSES

from .models import AtRiskRules
from .services import RULE_FIELDS

# The longest period the turnaround page summarises: a course run and some margin.
MAX_PERIOD = datetime.timedelta(days=400)


class AtRiskRulesForm(forms.ModelForm):
    class Meta:
        model = AtRiskRules
        fields = RULE_FIELDS
        labels = {
            "weeks_behind": "Weeks behind",
            "falling_score_weeks": "Falling scores over the last … scored weeks",
            "max_revisions": "Revisions on one week, at most",
            "missing_retrospectives": "Missing retrospectives",
            "overdue_high_risks": "Open high-severity risks past their week",
        }
        widgets = {name: forms.NumberInput(attrs={"min": 0, "inputmode": "numeric"}) for name in RULE_FIELDS}


class TurnaroundPeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the period comes before its start.")
            elif end - start > MAX_PERIOD:
                self.add_error("end", f"Choose a period of at most {MAX_PERIOD.days} days.")
        return cleaned


class GradebookQueryForm(forms.Form):
    sort = forms.ChoiceField(label="Sort by", required=False)
    dir = forms.ChoiceField(label="Order", required=False, choices=[("asc", "Ascending"), ("desc", "Descending")])
    mentor = forms.TypedChoiceField(label="Mentor", required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label="Has a week that is", required=False)
    at_risk = forms.BooleanField(label="At risk only", required=False)
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, data, *, columns: list[GradeColumn], mentors: list[tuple[int, str]]) -> None:
        super().__init__(data)
        self.fields["sort"].choices = [*GRADEBOOK_SORTS.items(), *((c.key, c.label) for c in columns)]
        self.fields["mentor"].choices = [("", "Every mentor"), *mentors]
        self.fields["status"].choices = [("", "Any state"), *((s.key, s.label) for s in WORK_STATUSES.values())]

    def query(self) -> GradebookQuery:
        """The validated query; an invalid field is left out of cleaned_data, so it takes its
        default."""
        self.is_valid()
        data = self.cleaned_data
        sort = data.get("sort") or "name"
        after = decode_cursor(data["after"], sort) if data.get("after") else None
        before = decode_cursor(data["before"], sort) if data.get("before") else None
        return GradebookQuery(
            sort=sort,
            descending=data.get("dir") == "desc",
            mentor_id=data.get("mentor"),
            status=data.get("status") or None,
            after=after,
            before=before if after is None else None,
        )

    def is_exact(self) -> bool:
        """Every field is taken as sent (nothing fell back to its default), cursors included:
        only such a query string may key a cached page (insights/grid_cache.py)."""
        if not self.is_valid():
            return False
        sort = self.cleaned_data.get("sort") or "name"
        return all(
            decode_cursor(self.cleaned_data[name], sort) is not None
            for name in ("after", "before")
            if self.cleaned_data.get(name)
        )

    def at_risk_only(self) -> bool:
        """Only the students the cohort's at-risk rules flag (insights.selectors.at_risk_students)."""
        self.is_valid()
        return bool(self.cleaned_data.get("at_risk"))
