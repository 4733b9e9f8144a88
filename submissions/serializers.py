"""The submissions API's input and output serializers (the viewsets are in api.py)."""

import datetime
from collections.abc import Mapping

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from curriculum.selectors import week_outcomes, week_quality_gates

from . import uploads
from .content import DECISION_FIELDS, GATE_STATUSES, empty_content, normalised
from .models import IMPROVE_NOTE_MAX, Artifact, ImproveItemStatus, Revision, RiskEntry, WeeklyWork

TEXT_LIMIT = 50_000


class WorkPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class StrictKeys:
    """A serializer mixin that refuses keys it does not declare (DRF drops them silently), so a
    misspelt section is an error naming it rather than text that vanishes."""

    unknown_message = "Unknown field."

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                raise serializers.ValidationError({str(key): [self.unknown_message] for key in unknown})
        return super().to_internal_value(data)


def _text(max_length: int = TEXT_LIMIT, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=max_length, allow_blank=True, required=False, default="", **kwargs)


class ConceptSection(StrictKeys, serializers.Serializer):
    text = _text(help_text="Markdown.")
    objective_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=100
    )


class GateResult(StrictKeys, serializers.Serializer):
    status = serializers.ChoiceField(choices=GATE_STATUSES, default="not_run")
    note = _text(2000)


class LabSection(StrictKeys, serializers.Serializer):
    text = _text(help_text="Markdown.")
    gates = serializers.DictField(
        child=GateResult(), required=False, default=dict, help_text="Quality gate id → result."
    )


class DecisionSection(StrictKeys, serializers.Serializer):
    options = _text()
    tradeoffs = _text()
    risks = _text()
    decision_points = _text()
    decision = _text()
    rationale = _text()


class Criterion(StrictKeys, serializers.Serializer):
    criterion = _text(500)
    metric = _text(500)
    target = _text(500)
    measured = _text(500)


class DossierSection(StrictKeys, serializers.Serializer):
    criteria = Criterion(many=True, required=False, default=list)
    next_actions = _text()


class DeliverableSection(StrictKeys, serializers.Serializer):
    text = _text(help_text="Markdown; capstone deliverables only.")


class WorkContent(StrictKeys, serializers.Serializer):
    """The draft, one object per section (docs/workspace.md)."""

    unknown_message = (
        "Unknown section; the sections are concept, lab, decision, dossier, deliverable and revision_note."
    )

    concept = ConceptSection(required=False)
    lab = LabSection(required=False)
    decision = DecisionSection(required=False)
    dossier = DossierSection(required=False)
    deliverable = DeliverableSection(required=False)
    revision_note = _text(5000, help_text="What changed in response to feedback.")


assert [key for key, _ in DECISION_FIELDS] == list(DecisionSection().fields)


class WorkOutput(serializers.ModelSerializer):
    cohort = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    student = WorkPersonOutput()
    week = serializers.IntegerField(source="week.number", allow_null=True, help_text="Null for capstone work.")
    deliverable = serializers.IntegerField(source="deliverable_id", allow_null=True)
    target = serializers.CharField(source="target_label")
    latest_revision = serializers.IntegerField(
        source="latest_revision.number", allow_null=True, help_text="The number of the latest revision."
    )

    class Meta:
        model = WeeklyWork
        fields = [
            "id",
            "cohort",
            "student",
            "week",
            "deliverable",
            "target",
            "state",
            "draft_version",
            "draft_saved_at",
            "latest_revision",
            "updated_at",
        ]


def _iso(value: datetime.datetime, zone: datetime.tzinfo) -> str:
    """DRF's DateTimeField representation (ISO 8601 in the current time zone, "Z" for UTC)
    with the time zone looked up once per page instead of once per field: 100 look-ups of a
    thread-local were a fifth of a page's serialisation."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def work_list_item(row: dict, zone: datetime.tzinfo | None = None) -> dict:
    """WorkOutput's representation of one row of selectors.works_listed_for (values): the same
    keys and formats, without building model instances and nested serializers for each row.
    tests/api/test_submissions_api.py checks it against WorkOutput for every kind of work.
    `zone`: the current time zone, when the caller has it already."""
    zone = zone or timezone.get_current_timezone()
    return {
        "id": row["pk"],
        "cohort": row["cohort__slug"],
        "student": {
            "id": row["student_id"],
            "display_name": User.display_name_of(row["student__name"], row["student__email"]),
        },
        "week": row["week__number"],
        "deliverable": row["deliverable_id"],
        "target": WeeklyWork.target_label_of(
            week_number=row["week__number"], week_title=row["week__title"], deliverable_title=row["deliverable__title"]
        ),
        "state": row["state"],
        "draft_version": row["draft_version"],
        "draft_saved_at": _iso(row["draft_saved_at"], zone) if row["draft_saved_at"] else None,
        "latest_revision": row["latest_revision__number"],
        "updated_at": _iso(row["updated_at"], zone),
    }


class WorkDetailOutput(WorkOutput):
    content = serializers.SerializerMethodField()
    can_edit = serializers.BooleanField()

    class Meta(WorkOutput.Meta):
        fields = [*WorkOutput.Meta.fields, "can_edit", "content"]

    @extend_schema_field(WorkContent)
    def get_content(self, work) -> dict:
        return WorkContent(normalised(work.content)).data


class WorkListQuery(serializers.Serializer):
    cohort = serializers.SlugField(max_length=100, required=False, help_text="Only work in this cohort (its slug).")
    state = serializers.ChoiceField(choices=WeeklyWork.State.choices, required=False)


class WorkOpenInput(serializers.Serializer):
    cohort = serializers.SlugField(max_length=100, help_text="The cohort's slug.")
    week = serializers.IntegerField(min_value=1, max_value=32767, required=False, help_text="A week number.")
    deliverable = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, help_text="A capstone deliverable's id."
    )

    def validate(self, attrs):
        if ("week" in attrs) == ("deliverable" in attrs):
            raise serializers.ValidationError("Give either a week number or a deliverable id.")
        return attrs


# Weekly work writes sections 1–2, a capstone deliverable its own write-up in their place
# (docs/workspace.md); the others' sections may come back empty, as GET shows every section.
_OTHER_KINDS_SECTIONS = {
    True: {
        "concept": "Capstone work has no concept analysis; write in `deliverable`.",
        "lab": "Capstone work has no lab report; write in `deliverable`.",
    },
    False: {"deliverable": "Only capstone deliverables have this section."},
}


class WorkUpdateInput(serializers.Serializer):
    # Needs the work being saved as context["work"]: which sections it has, and which
    # objectives and quality gates the content may refer to (as the page's form). Not a
    # docstring, which would become the schema's description.
    draft_version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The draft_version you loaded; a newer draft answers 409."
    )
    content = WorkContent(help_text="The sections to replace; sections left out stay as they are.")

    def validate(self, attrs: dict) -> dict:
        work, content = self.context["work"], attrs["content"]
        empty = empty_content()
        errors = {
            f"content.{section}": [message]
            for section, message in _OTHER_KINDS_SECTIONS[work.is_capstone].items()
            if section in content and content[section] != empty[section]
        }
        if errors:
            raise serializers.ValidationError(errors)
        week = work.due_week
        objective_ids = set(content.get("concept", {}).get("objective_ids", []))
        if objective_ids and objective_ids - {objective.pk for objective in week_outcomes(week)}:
            raise serializers.ValidationError(
                {"content.concept.objective_ids": ["Choose this week's outcome objectives."]}
            )
        gate_ids = set(content.get("lab", {}).get("gates", {}))
        if gate_ids and (work.is_capstone or gate_ids - {str(gate.pk) for gate in week_quality_gates(week)}):
            raise serializers.ValidationError({"content.lab.gates": ["Use the ids of this week's quality gates."]})
        return attrs


class RevisionOutput(serializers.ModelSerializer):
    submitted_by = WorkPersonOutput()

    class Meta:
        model = Revision
        fields = ["number", "submitted_at", "due_at", "is_late", "note", "submitted_by"]


class RevisionDetailOutput(RevisionOutput):
    content = serializers.JSONField(
        help_text="The frozen snapshot: the sections plus target, objective and gate texts, retrospective, "
        "risks and artifact metadata as they were at submission."
    )

    class Meta(RevisionOutput.Meta):
        fields = [*RevisionOutput.Meta.fields, "content"]


class RevisionSubmitInput(serializers.Serializer):
    draft_version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="When given, the submission is refused with 409 if the draft changed since this version.",
    )


DiffQuery = type(
    "DiffQuery",
    (serializers.Serializer,),
    {
        "from": serializers.IntegerField(
            min_value=1,
            max_value=2**31 - 1,
            required=False,
            help_text="The older revision; default: the one before `to`.",
        ),
        "to": serializers.IntegerField(
            min_value=1, max_value=2**31 - 1, required=False, help_text="The newer revision; default: the latest."
        ),
    },
)


class DiffPiece(serializers.Serializer):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField(allow_blank=True)


class SectionDiffOutput(serializers.Serializer):
    title = serializers.CharField()
    changed = serializers.BooleanField()
    inline = DiffPiece(many=True, help_text="Word-level differences.")


class ArtifactSnapshotOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`file` or `link`.")
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField(allow_blank=True)
    content_type = serializers.CharField(allow_blank=True)
    proves = serializers.CharField()
    evidence_item = serializers.CharField(allow_blank=True)


RevisionDiffOutput = type(
    "RevisionDiffOutput",
    (serializers.Serializer,),
    {
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
        "sections": SectionDiffOutput(many=True),
        "artifacts_added": ArtifactSnapshotOutput(many=True),
        "artifacts_removed": ArtifactSnapshotOutput(many=True),
    },
)


class ArtifactOutput(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="`file` or `link`.")
    name = serializers.CharField(source="label", help_text="The file's original name, or the link.")

    class Meta:
        model = Artifact
        fields = [
            "id",
            "kind",
            "name",
            "url",
            "content_type",
            "size",
            "sha256",
            "proves",
            "evidence_item",
            "created_at",
        ]


class ArtifactUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text=f"{uploads.ALLOWED_DESCRIPTION}; the type is checked from the content.")
    proves = serializers.CharField(max_length=300, help_text="What this evidence proves.")
    evidence_item = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="A required evidence line it satisfies."
    )


class ArtifactLinkInput(serializers.Serializer):
    url = serializers.URLField(max_length=1000, help_text="An http or https link.")
    proves = serializers.CharField(max_length=300, help_text="What this evidence proves.")
    evidence_item = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="A required evidence line it satisfies."
    )

    def validate_url(self, url: str) -> str:
        if not url.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Only http and https links are accepted.")
        return url


class RiskEntryOutput(serializers.ModelSerializer):
    week_opened = serializers.IntegerField(source="week_opened.number")
    week_closed = serializers.IntegerField(source="week_closed.number", allow_null=True)

    class Meta:
        model = RiskEntry
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "severity",
            "status",
            "week_opened",
            "week_closed",
            "resolution",
            "created_at",
        ]


class RiskEntryCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RiskEntry.Kind.choices)
    title = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=RiskEntry.Severity.choices, default=RiskEntry.Severity.MEDIUM)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class RiskEntryCloseInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RetrospectiveOutput(serializers.Serializer):
    retain = serializers.CharField(allow_blank=True, help_text="What worked and should be kept.")
    improve = serializers.CharField(allow_blank=True, help_text="What to do better next week.")
    scale = serializers.CharField(allow_blank=True, help_text="What to apply more widely from now on.")
    is_done = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)


class RetrospectiveInput(serializers.Serializer):
    retain = serializers.CharField(max_length=TEXT_LIMIT, allow_blank=True)
    improve = serializers.CharField(max_length=TEXT_LIMIT, allow_blank=True)
    scale = serializers.CharField(max_length=TEXT_LIMIT, allow_blank=True)


class ImproveItemOutput(serializers.Serializer):
    key = serializers.CharField(help_text="Identifies the item (a digest of its text); use it to set the status.")
    text = serializers.CharField(help_text="The item as written in the retrospective (markdown).")
    origin_week = serializers.IntegerField(help_text="The week whose retrospective named it.")
    carried_forward_from_earlier = serializers.BooleanField(
        help_text="True when it was written before last week and carried forward since."
    )
    status = serializers.ChoiceField(
        choices=ImproveItemStatus.Status.choices, allow_null=True, help_text="null until the student sets one."
    )
    note = serializers.CharField(allow_blank=True)


class ImproveItemStatusInput(StrictKeys, serializers.Serializer):
    status = serializers.ChoiceField(choices=ImproveItemStatus.Status.choices)
    note = serializers.CharField(max_length=IMPROVE_NOTE_MAX, required=False, allow_blank=True, default="")


def improve_item_data(item, week_number: int) -> dict:
    return {
        "key": item.key,
        "text": item.text,
        "origin_week": item.origin_week,
        "carried_forward_from_earlier": item.origin_week < week_number - 1,
        "status": item.status or None,
        "note": item.note,
    }
