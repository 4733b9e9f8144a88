import datetime

from django import forms

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
