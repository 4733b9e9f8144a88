import zoneinfo

from django import forms
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_get_by_email
from curriculum.models import Week

from .models import Membership


class MembershipAddForm(forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="The person must already have an account.")
    role = forms.ChoiceField(label="Role", choices=Membership.Role.choices)

    def clean_email(self) -> User:
        email = self.cleaned_data["email"]
        user = user_get_by_email(email)
        if user is None:
            raise forms.ValidationError("No account uses this e-mail address. Ask them to sign up first.")
        return user


class MentorAssignForm(forms.Form):
    mentor = forms.ModelChoiceField(label="Mentor", queryset=User.objects.none())
    student = forms.ModelChoiceField(label="Student", queryset=User.objects.none())

    def __init__(self, *args, memberships: list[Membership], **kwargs):
        super().__init__(*args, **kwargs)
        by_role = {role: [m.user_id for m in memberships if m.role == role] for role in Membership.Role.values}
        self.fields["mentor"].queryset = User.objects.filter(pk__in=by_role[Membership.Role.MENTOR])
        self.fields["student"].queryset = User.objects.filter(pk__in=by_role[Membership.Role.STUDENT])


class ExtensionGrantForm(forms.Form):
    student = forms.ModelChoiceField(label="Student", queryset=User.objects.none())
    week = forms.ModelChoiceField(label="Week", queryset=Week.objects.none())
    due_at = forms.DateTimeField(
        label="New due date and time",
        help_text="In the cohort's time zone.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    reason = forms.CharField(label="Reason", max_length=300, required=False)

    def __init__(self, *args, cohort, memberships: list[Membership], **kwargs):
        self.cohort = cohort
        super().__init__(*args, **kwargs)
        students = [m.user_id for m in memberships if m.role == Membership.Role.STUDENT]
        self.fields["student"].queryset = User.objects.filter(pk__in=students)
        self.fields["week"].queryset = Week.objects.for_course(cohort.course)

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
