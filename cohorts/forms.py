import zoneinfo

from django import forms
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_email
from curriculum.models import Week

from .models import Membership
from .selectors import cohort_member_lookup


class MembershipAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="The person must already have an account.")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = user_get_by_email(email)
        if user is None:
            raise forms.ValidationError("No account uses this e-mail address. Ask them to sign up first.")
        return user


class CohortPersonField(forms.CharField):
    """A person of the cohort picked by typing their e-mail address or part of their name: a
    plain text field, so it works without JavaScript and stays small whatever the cohort's
    size (a <select> of every student was 3,334 options). The form resolves it on the server
    (`_person`); the page may suggest matches in a <datalist> (static/js/app.js)."""

    def __init__(self, *, role: str, **kwargs):
        self.role = role
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("help_text", "Their e-mail address, or enough of their name to single them out.")
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "off", "spellcheck": "false", "data-person-search": role, "autocapitalize": "none"}
        )


class CohortPeopleForm(forms.Form):
    """A form whose CohortPersonFields are resolved to accounts of `cohort` in their role."""

    def __init__(self, *args, cohort, **kwargs):
        self.cohort = cohort
        super().__init__(*args, **kwargs)
        search_url = reverse("cohorts:people_search", args=[cohort.slug])
        for field in self.fields.values():
            if isinstance(field, CohortPersonField):
                field.widget.attrs["data-search-url"] = search_url

    def _person(self, name: str) -> User:
        text = self.cleaned_data[name]
        role_label = Membership.Role(self.fields[name].role).label.lower()
        found = cohort_member_lookup(self.cohort, text, role=self.fields[name].role)
        if not found:
            raise forms.ValidationError(f"No {role_label} of this cohort matches “{text}”.")
        if len(found) > 1:
            raise forms.ValidationError(
                f"Several {role_label}s match “{text}” (such as {found[0].email} and {found[1].email}): "
                "be more precise, for example type the e-mail address."
            )
        return found[0]


class MentorAssignForm(CohortPeopleForm):
    mentor = CohortPersonField(label="Mentor", role=Membership.Role.MENTOR)
    student = CohortPersonField(label="Student", role=Membership.Role.STUDENT)

    def clean_mentor(self) -> User:
        return self._person("mentor")

    def clean_student(self) -> User:
        return self._person("student")


class ExtensionGrantForm(CohortPeopleForm):
    student = CohortPersonField(label="Student", role=Membership.Role.STUDENT)
    week = forms.ModelChoiceField(label="Week", queryset=Week.objects.none())
    due_at = forms.DateTimeField(
        label="New due date and time",
        help_text="In the cohort's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label="Reason", max_length=300, required=False)

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, cohort=cohort, **kwargs)
        self.fields["week"].queryset = Week.objects.for_course(cohort.course)

    def clean_student(self) -> User:
        return self._person("student")

    def full_clean(self):
        # The person types a wall-clock time in the cohort's zone, not their own (the page is
        # shown in theirs): parse it there, so a time that does not exist in their zone (a
        # daylight-saving gap) but does in the cohort's is accepted, and the reverse refused.
        with timezone.override(zoneinfo.ZoneInfo(self.cohort.time_zone)):
            super().full_clean()


class InvitationForm(forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="They get a link that works once.")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label="Roster (CSV)",
        help_text="Columns: email, role (student, mentor or instructor), optionally name and mentor_email.",
    )
