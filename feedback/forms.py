"""The shapes of what people post about threads; the rules are in services.py."""

from django import forms
from django.conf import settings

from .models import SECTION_CHOICES


class ThreadForm(forms.Form):
    section = forms.ChoiceField(label="Section", choices=SECTION_CHOICES)
    artifact = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    quote = forms.CharField(required=False, widget=forms.HiddenInput, max_length=5000, strip=False)
    prefix = forms.CharField(required=False, widget=forms.HiddenInput, max_length=400, strip=False)
    suffix = forms.CharField(required=False, widget=forms.HiddenInput, max_length=400, strip=False)
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 4}), strip=True)

    def __init__(self, *args, artifacts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = settings.FEEDBACK_COMMENT_MAX_CHARS
        self.fields["body"].widget.attrs["maxlength"] = settings.FEEDBACK_COMMENT_MAX_CHARS
        self.fields["body"].help_text = f"Markdown, up to {settings.FEEDBACK_COMMENT_MAX_CHARS} characters."


class CommentForm(forms.Form):
    body = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label: str = "Reply", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = label
        self.fields["body"].max_length = settings.FEEDBACK_COMMENT_MAX_CHARS
        self.fields["body"].widget.attrs["maxlength"] = settings.FEEDBACK_COMMENT_MAX_CHARS


class AddressedForm(forms.Form):
    note = forms.CharField(
        label="How the next revision answers it (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].max_length = settings.FEEDBACK_ADDRESSED_NOTE_MAX_CHARS
        self.fields["note"].widget.attrs["maxlength"] = settings.FEEDBACK_ADDRESSED_NOTE_MAX_CHARS
