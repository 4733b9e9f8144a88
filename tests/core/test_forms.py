"""core.forms: a service's refusal lands on the form where the person can see it."""

from django import forms
from django.core.exceptions import ValidationError

from core.forms import add_service_errors, service_error_text


class _Form(forms.Form):
    slug = forms.CharField()
    file = forms.CharField()


def _bound() -> _Form:
    form = _Form({"slug": "a", "file": "b"})
    assert form.is_valid()
    return form


def test_an_error_about_a_field_of_the_form_goes_next_to_that_field():
    form = _bound()
    add_service_errors(form, ValidationError({"slug": "This address is taken."}))
    assert form.errors == {"slug": ["This address is taken."]}


def test_an_error_about_a_field_the_form_lacks_goes_to_the_top_instead_of_crashing():
    form = _bound()
    add_service_errors(form, ValidationError({"owner": "Not yours.", "slug": "Taken."}))
    assert form.non_field_errors() == ["Not yours."]
    assert form.errors["slug"] == ["Taken."]


def test_a_rule_about_the_whole_action_goes_to_the_top_or_to_the_chosen_field():
    top = _bound()
    add_service_errors(top, ValidationError(["Too late.", "Week closed."]))
    assert top.non_field_errors() == ["Too late.", "Week closed."]
    beside = _bound()
    add_service_errors(beside, ValidationError("File too large."), default_field="file")
    assert beside.errors == {"file": ["File too large."]}


def test_the_text_form_joins_every_message():
    assert service_error_text(ValidationError({"a": "One.", "b": ["Two.", "Three."]})) == "One. Two. Three."
