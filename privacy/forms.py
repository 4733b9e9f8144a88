from django import forms


class ErasureConfirmForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To confirm that it is you who asks.",
    )
    understood = forms.BooleanField(
        label="I understand that after the grace period my work, evidence and portfolio are deleted for good.",
    )


class AdminErasureForm(forms.Form):
    reason = forms.CharField(
        label="Note for the audit record",
        max_length=300,
        required=False,
        help_text="Why this erasure was started (e.g. “request by e-mail of 2 Dec”). No personal data.",
    )


class PersonLookupForm(forms.Form):
    email = forms.EmailField(label="E-mail address of the person")
