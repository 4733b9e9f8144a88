from django import forms

from .selectors import preference_rows


class PreferencesForm(forms.Form):
    """Two check boxes per kind: e-mail and on the site."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for kind, label, email, in_app in preference_rows(user):
            self.fields[f"{kind}__email"] = forms.BooleanField(required=False, initial=email, label=f"{label}: e-mail")
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                required=False, initial=in_app, label=f"{label}: on the site"
            )
            self.rows.append((kind, label, self[f"{kind}__email"], self[f"{kind}__in_app"]))

    def choices(self) -> dict[str, tuple[bool, bool]]:
        return {
            kind: (self.cleaned_data[f"{kind}__email"], self.cleaned_data[f"{kind}__in_app"])
            for kind, _label, _email, _in_app in self.rows
        }
