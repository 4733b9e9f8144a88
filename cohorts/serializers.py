"""The cohorts API's input and output serializers (the viewsets are in api.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Cohort, CohortInvitation, Extension, Membership, MentorAssignment


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    email = serializers.SerializerMethodField(help_text="Only for people who may see the cohort's roster.")

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_email(self, user) -> str | None:
        return user.email if self.context.get("show_email") else None


class CourseRefOutput(serializers.Serializer):
    slug = serializers.CharField()
    version = serializers.IntegerField()
    title = serializers.CharField()


class CohortOutput(serializers.ModelSerializer):
    course = CourseRefOutput()
    my_role = serializers.SerializerMethodField(help_text="Your role in this cohort; null for admins who hold none.")
    student_count = serializers.IntegerField()
    mentor_count = serializers.IntegerField()

    class Meta:
        model = Cohort
        fields = ["slug", "name", "course", "start_date", "time_zone", "my_role", "student_count", "mentor_count"]

    @extend_schema_field(serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True))
    def get_my_role(self, cohort) -> str | None:
        mine = getattr(cohort, "my_memberships", None)
        return mine[0].role if mine else None


class TeacherOutput(serializers.Serializer):
    user = PersonOutput()
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class CohortDetailOutput(serializers.ModelSerializer):
    course = CourseRefOutput()
    my_role = serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True)
    can_manage = serializers.BooleanField()
    can_view_roster = serializers.BooleanField()
    teachers = TeacherOutput(many=True)
    due_time = serializers.SerializerMethodField(
        help_text="The local wall-clock time (HH:MM, in the cohort's time zone) each week is due."
    )

    class Meta:
        model = Cohort
        fields = [
            "slug",
            "name",
            "course",
            "start_date",
            "time_zone",
            "due_time",
            "late_policy",
            "review_deadline_hours",
            "peer_reviewers_per_submission",
            "peer_review_window_days",
            "peer_review_anonymous",
            "my_role",
            "can_manage",
            "can_view_roster",
            "teachers",
        ]

    @extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "23:59"})
    def get_due_time(self, cohort) -> str:
        return cohort.due_time.strftime("%H:%M")


class ScheduleWeekOutput(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    opens_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    extended_due_at = serializers.DateTimeField(allow_null=True)
    effective_due_at = serializers.DateTimeField()


class MembershipOutput(serializers.ModelSerializer):
    user = PersonOutput()

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "created_at"]


class MembershipCreateInput(serializers.Serializer):
    email = serializers.EmailField(help_text="The person must already have an account.")
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class MentorAssignmentOutput(serializers.ModelSerializer):
    mentor = PersonOutput()
    student = PersonOutput()

    class Meta:
        model = MentorAssignment
        fields = ["id", "mentor", "student", "created_at"]


class MentorAssignmentCreateInput(serializers.Serializer):
    mentor = serializers.IntegerField(min_value=1, help_text="The mentor's user id.")
    student = serializers.IntegerField(min_value=1, help_text="The student's user id.")


class ExtensionOutput(serializers.ModelSerializer):
    student = PersonOutput()
    week = serializers.IntegerField(source="week.number")
    granted_by = PersonOutput(allow_null=True)

    class Meta:
        model = Extension
        fields = ["id", "student", "week", "due_at", "reason", "granted_by", "created_at"]


class ExtensionCreateInput(serializers.Serializer):
    student = serializers.IntegerField(min_value=1, help_text="The student's user id.")
    week = serializers.IntegerField(min_value=1, max_value=32767, help_text="The week number.")
    due_at = serializers.DateTimeField(help_text="The new due instant; without an offset, the cohort's time zone.")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CohortListQuery(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=Membership.Role.choices, required=False, help_text="Only cohorts where you hold this role."
    )


class MembershipListQuery(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)


class InvitationCreateInput(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    mentor_email = serializers.EmailField(
        required=False, default="", allow_blank=True, help_text="For a student: the mentor assigned on acceptance."
    )


class InvitationOutput(serializers.ModelSerializer):
    class Meta:
        model = CohortInvitation
        fields = ["id", "email", "role", "name", "mentor_email", "created_at", "expires_at"]
