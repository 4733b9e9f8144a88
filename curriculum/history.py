"""One timeline of curriculum edits across every curriculum model."""

from dataclasses import dataclass
from datetime import datetime
from heapq import nlargest

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

    Each model contributes at most `limit` rows (one query each, plus one for the previous
    version of each changed row), so the page costs the same however long the history is.
    """
    records = []
    for model in TRACKED_MODELS:
        rows = model.history.select_related("history_user").order_by("-history_date")
        if not include_imports:
            rows = rows.exclude(history_change_reason__startswith=IMPORT_REASON_PREFIX)
        records.extend(rows[:limit])
    changes = []
    for record in nlargest(limit, records, key=lambda r: r.history_date):
        fields: list[str] = []
        if record.history_type == "~":
            previous = record.prev_record
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
