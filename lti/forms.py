import zoneinfo

from django import forms

from curriculum.models import Course


class CohortSetupForm(forms.Form):
    """What an instructor chooses at an LMS course's first launch."""

    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("slug", "-version"),
        label="Course version",
        help_text="The cohort stays on this version of the course.",
        empty_label=None,
    )
    name = forms.CharField(max_length=120, label="Cohort name")
    start_date = forms.DateField(
        label="Start date", help_text="Week 1 opens on this day.", widget=forms.DateInput(attrs={"type": "date"})
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        initial="UTC",
        choices=[(zone, zone) for zone in sorted(zoneinfo.available_timezones())],
        help_text="Due dates are at the cohort's due time in this zone.",
    )


class DeepLinkForm(forms.Form):
    items = forms.MultipleChoiceField(
        label="Add to the LMS course",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one."},
    )

    def __init__(self, *args, choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = choices.as_choices()
