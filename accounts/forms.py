from django import forms

from .models import PersonalAccessToken, User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "time_zone"]
        help_texts = {"time_zone": "An IANA time zone name such as Europe/Berlin or America/New_York."}


class TokenCreateForm(forms.Form):
    EXPIRY_CHOICES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]

    name = forms.CharField(label="Name", max_length=100, help_text="What the token is for, e.g. “grading script”.")
    scope = forms.ChoiceField(
        label="Access",
        choices=PersonalAccessToken.Scope.choices,
        initial="read",
        widget=forms.RadioSelect,
    )
    expires_in_days = forms.TypedChoiceField(label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=30)
