from django import forms

from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "time_zone"]
        help_texts = {"time_zone": "An IANA time zone name such as Europe/Berlin or America/New_York."}
