"""Form widgets shared by every app."""

from django import forms
from django.urls import reverse_lazy


class MarkdownTextarea(forms.Textarea):
    """A textarea for markdown. static/js/app.js gives it Write and Preview tabs; the preview
    is rendered on the server by the same sanitiser as the page that will show the text.
    Without JavaScript it is a plain textarea."""

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__({"data-markdown-preview": reverse_lazy("markdown_preview"), **(attrs or {})})
