"""How a business rule's refusal reaches the person who filled in the form."""

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(form: forms.BaseForm, exc: ValidationError, *, default_field: str | None = None) -> None:
    """Put the ValidationError a service raised onto the form: an error about a field the form
    has goes next to that field; anything else (a rule about the whole action, or a field the
    form does not show) goes to `default_field`, or to the top of the form when that is None."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else default_field, errors)
    else:
        form.add_error(default_field, exc.error_list)


def service_error_text(exc: ValidationError) -> str:
    """The refusal as one sentence or a few, for a flash message or a JSON reply."""
    return " ".join(exc.messages)
