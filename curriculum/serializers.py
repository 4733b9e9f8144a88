"""The curriculum API's input and output serializers (the viewsets are in api.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import BloomLevel, CapstoneDeliverable, CapstoneProject, Course, Objective, Week


class BloomLevelOutput(serializers.ModelSerializer):
    class Meta:
        model = BloomLevel
        fields = ["key", "name", "rank", "description"]


class ObjectiveOutput(serializers.ModelSerializer):
    bloom_level = serializers.SlugRelatedField(
        slug_field="key", read_only=True, allow_null=True, help_text="The Bloom level's key; null for routines."
    )

    class Meta:
        model = Objective
        fields = ["order", "kind", "verb", "text", "bloom_level", "bloom_level_overridden"]


class ObjectiveUpdateInput(serializers.Serializer):
    """The fields an editor may change; the level follows the verb unless overridden."""

    verb = serializers.CharField(required=False, max_length=40, help_text="The leading verb, e.g. “Explain”.")
    text = serializers.CharField(required=False, max_length=2000)
    bloom_level = serializers.SlugRelatedField(
        slug_field="key",
        queryset=BloomLevel.objects.all(),
        required=False,
        help_text="A level key; kept only with `bloom_level_overridden: true` (otherwise the verb decides).",
    )
    bloom_level_overridden = serializers.BooleanField(
        required=False, help_text="true: keep `bloom_level` whatever the verb; false: the level follows the verb."
    )


class WeekSummaryOutput(serializers.ModelSerializer):
    class Meta:
        model = Week
        fields = ["number", "title", "phase"]


class WeekOutput(serializers.ModelSerializer):
    objectives = ObjectiveOutput(many=True, read_only=True)

    class Meta:
        model = Week
        fields = ["number", "title", "phase", "progression_note", "objectives"]


class LabOutput(serializers.Serializer):
    title = serializers.CharField()
    scenario = serializers.CharField()
    tools = serializers.ListField(child=serializers.CharField(), source="tool_list")
    constraints = serializers.ListField(child=serializers.CharField(), source="constraint_list")
    expected_evidence = serializers.ListField(child=serializers.CharField(), source="evidence_list")
    quality_gates = serializers.SerializerMethodField()

    def get_quality_gates(self, lab) -> list[str]:
        return [gate.text for gate in lab.quality_gates.all()]


class DeliverableDueOutput(serializers.Serializer):
    project_number = serializers.IntegerField(source="project.number")
    project_title = serializers.CharField(source="project.title")
    order = serializers.IntegerField()
    title = serializers.CharField()


class WeekDetailOutput(WeekOutput):
    lab = serializers.SerializerMethodField()
    capstone_deliverables_due = DeliverableDueOutput(many=True, read_only=True)

    class Meta(WeekOutput.Meta):
        fields = [*WeekOutput.Meta.fields, "lab", "capstone_deliverables_due"]

    @extend_schema_field(LabOutput(allow_null=True))
    def get_lab(self, week):
        lab = getattr(week, "lab", None)
        return LabOutput(lab).data if lab is not None else None


class CourseOutput(serializers.ModelSerializer):
    week_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = ["slug", "version", "title", "imported_at", "week_count"]


class CourseDetailOutput(CourseOutput):
    introduction = serializers.CharField(help_text="Markdown.")
    weeks = WeekSummaryOutput(many=True, read_only=True, source="week_list")

    class Meta(CourseOutput.Meta):
        fields = [*CourseOutput.Meta.fields, "introduction", "source_name", "source_sha256", "weeks"]


class DeliverableOutput(serializers.ModelSerializer):
    due_week = serializers.IntegerField(source="due_week.number", help_text="The week number it is due with.")

    class Meta:
        model = CapstoneDeliverable
        fields = ["order", "title", "due_week"]


class CapstoneOutput(serializers.ModelSerializer):
    deliverables = DeliverableOutput(many=True, read_only=True)

    class Meta:
        model = CapstoneProject
        fields = ["number", "title", "description", "deliverables"]


class VersionQuery(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="A course version; the newest when omitted."
    )


class WeekFilterQuery(VersionQuery):
    number_min = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    number_max = serializers.IntegerField(required=False, min_value=1, max_value=32767)
    phase = serializers.IntegerField(required=False, min_value=1, max_value=3, help_text="1, 2 or 3 (8 weeks each).")
