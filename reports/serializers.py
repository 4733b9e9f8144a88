"""The reports API's input and output serializers (the viewsets are in api.py)."""

from rest_framework import serializers
from rest_framework.reverse import reverse

from .models import ReportRun


class ReportRunOutput(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ReportRun.Kind.choices)
    format = serializers.ChoiceField(choices=ReportRun.Format.choices)
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    student = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The student's user id, for student reports."
    )
    status = serializers.ChoiceField(choices=ReportRun.Status.choices)
    finished = serializers.BooleanField(source="is_finished")
    download_url = serializers.SerializerMethodField(help_text="Where to fetch the file once the run succeeded.")

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "format",
            "cohort",
            "student",
            "status",
            "progress",
            "error",
            "finished",
            "created_at",
            "started_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, run: ReportRun) -> str | None:
        if run.status != ReportRun.Status.SUCCEEDED or not run.file:
            return None
        return reverse("api:v1:report-download", args=[run.pk], request=self.context.get("request"))


class ReportListQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportRun.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=ReportRun.Status.choices, required=False)
    cohort = serializers.SlugField(max_length=100, required=False, help_text="Only runs about this cohort (its slug).")


class ReportRequestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportRun.Kind.choices)
    format = serializers.ChoiceField(choices=ReportRun.Format.choices)
    cohort = serializers.SlugField(max_length=100, help_text="The cohort's slug.")
    student = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, help_text="The student's user id; required for student reports."
    )

    def validate(self, attrs):
        if attrs["kind"] == ReportRun.Kind.STUDENT and not attrs.get("student"):
            raise serializers.ValidationError({"student": ["A student report needs a student."]})
        return attrs
