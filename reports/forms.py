from django import forms

from cohorts.models import Cohort, Membership

from .models import ReportRun


class ReportRequestForm(forms.Form):
    """The shape of a request; whether this person may have that report is the service's
    (and reports.policies') decision."""

    kind = forms.ChoiceField(label="Report", choices=ReportRun.Kind.choices)
    format = forms.ChoiceField(label="Format", choices=ReportRun.Format.choices, initial=ReportRun.Format.CSV)
    cohort = forms.ModelChoiceField(
        label="Cohort",
        queryset=Cohort.objects.none(),
        required=False,
        help_text="For the cohort progress report and the gradebook.",
    )
    student = forms.ModelChoiceField(
        label="Student",
        queryset=Membership.objects.none(),
        required=False,
        help_text="For the student progress report.",
    )

    def __init__(self, *args, cohorts: list[Cohort], students: list[Membership], cohort_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = Cohort.objects.filter(pk__in=[c.pk for c in cohorts])
        self.fields["student"].queryset = Membership.objects.filter(pk__in=[m.pk for m in students]).select_related(
            "user", "cohort"
        )
        self.fields["student"].label_from_instance = lambda m: f"{m.user.display_name} ({m.user.email}) · {m.cohort}"
        if not cohort_wide:
            self.fields["kind"].choices = [(ReportRun.Kind.STUDENT, ReportRun.Kind.STUDENT.label)]
            del self.fields["cohort"]
        if len(students) == 1 and not cohort_wide:
            self.fields["student"].initial = students[0].pk

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ReportRun.Kind.STUDENT:
            if not data.get("student"):
                self.add_error("student", "Choose the student this report is about.")
        elif kind and not data.get("cohort"):
            self.add_error("cohort", "Choose the cohort this report is about.")
        return data
