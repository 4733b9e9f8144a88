from django import forms

from .verification import MAX_INPUT_BYTES


class VerifyForm(forms.Form):
    credential = forms.CharField(
        label="Paste a credential",
        required=False,
        strip=True,
        max_length=MAX_INPUT_BYTES,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text="The .jwt file's text, or the .json file's.",
    )
    upload = forms.FileField(
        label="Or choose the credential file",
        required=False,
        help_text=f"A .jwt or .json file of at most {MAX_INPUT_BYTES // 1024} KB.",
    )

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return ""
        if upload.size > MAX_INPUT_BYTES:
            raise forms.ValidationError(
                f"That file is larger than {MAX_INPUT_BYTES // 1024} KB; no credential of ours is."
            )
        try:
            return upload.read(MAX_INPUT_BYTES + 1).decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("That file is not text: choose the .jwt or .json download.") from None

    def clean(self):
        data = super().clean()
        pasted, uploaded = data.get("credential", ""), data.get("upload", "")
        if self.errors:
            return data
        if pasted and uploaded:
            raise forms.ValidationError("Paste a credential or choose a file, not both.")
        if not pasted and not uploaded:
            raise forms.ValidationError("Paste a credential or choose its file.")
        data["text"] = pasted or uploaded
        return data
