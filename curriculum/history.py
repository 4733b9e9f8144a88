"""One timeline of curriculum edits across every curriculum model."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from heapq import nlargest

from django.db.models import OuterRef, Subquery

from .models import (
    BloomVerb,
    CapstoneDeliverable,
    CapstoneProject,
    Course,
    ImportConflict,
    Lab,
    Objective,
    QualityGate,
    Week,
)

# Import conflicts are here so that an admin's "Keep mine" (which changes no curriculum record)
# shows on the same timeline as "Take file".
TRACKED_MODELS = [
    Course,
    Week,
    Objective,
    Lab,
    QualityGate,
    CapstoneProject,
    CapstoneDeliverable,
    BloomVerb,
    ImportConflict,
]
_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class CurriculumChange:
    when: datetime
    who: str
    action: str
    kind: str
    subject: str
    reason: str
    changed_fields: list[str]


def _author(user) -> str:
    return f"{user} <{user.email}>" if user else "import / system"


IMPORT_REASON_PREFIX = "Imported from "


def recent_curriculum_changes(limit: int = 200, *, include_imports: bool = True) -> list[CurriculumChange]:
    """The newest `limit` edits, newest first, with who made them and which fields moved;
    without `include_imports`, only edits people made (not the importer's).

    Each model contributes at most `limit` rows (one query each), and the previous versions
    of the changed rows come in one more query per model that has any, so the page costs the
    same however long the history is and however many of its rows are changes.
    """
    records = []
    for model in TRACKED_MODELS:
        rows = model.history.select_related("history_user").order_by("-history_date")
        if not include_imports:
            rows = rows.exclude(history_change_reason__startswith=IMPORT_REASON_PREFIX)
        records.extend(rows[:limit])
    newest = nlargest(limit, records, key=lambda r: r.history_date)
    previous_of = _previous_versions([record for record in newest if record.history_type == "~"])
    changes = []
    for record in newest:
        fields: list[str] = []
        if record.history_type == "~":
            previous = previous_of.get((type(record), record.history_id))
            if previous is not None:
                fields = [change.field for change in record.diff_against(previous).changes]
        changes.append(
            CurriculumChange(
                when=record.history_date,
                who=_author(record.history_user),
                action=_ACTIONS.get(record.history_type, record.history_type),
                kind=record.instance_type._meta.verbose_name.capitalize(),
                subject=str(record.instance)[:120],
                reason=record.history_change_reason or "",
                changed_fields=fields,
            )
        )
    return changes


def _previous_versions(records: list) -> dict[tuple[type, int], object]:
    """The version before each of `records` (simple-history's `prev_record`), in one query per
    history model instead of one per record."""
    by_model: dict[type, list] = defaultdict(list)
    for record in records:
        by_model[type(record)].append(record)
    found: dict[tuple[type, int], object] = {}
    for history_model, group in by_model.items():
        before = history_model.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date")).order_by(
            "-history_date", "-history_id"
        )
        previous_ids = history_model.objects.filter(history_id__in=[r.history_id for r in group]).annotate(
            previous_id=Subquery(before.values("history_id")[:1])
        )
        versions_by_object = defaultdict(list)
        for version in history_model.objects.filter(history_id__in=previous_ids.values("previous_id")):
            versions_by_object[version.id].append(version)
        for record in group:
            # The fetched rows are exactly the previous versions of `group`, so the newest of an
            # object's rows older than the record is its own previous version.
            earlier = [v for v in versions_by_object[record.id] if v.history_date < record.history_date]
            if earlier:
                found[(history_model, record.history_id)] = max(earlier, key=lambda v: (v.history_date, v.history_id))
    return found
