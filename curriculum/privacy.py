"""What curriculum holds about a person (see core.privacy): only who made each recorded
curriculum change (`history_user` of the change history) and who resolved an import
conflict. Curriculum editors are staff, whom this path does not erase; should such a row
point at an erased person, it points at the pseudonym, so nothing needs rewriting. The
export lists the changes the person made."""

from accounts.models import User
from core.privacy import DataProvider, ExportArchive

from .history import TRACKED_MODELS as HISTORIED
from .models import ImportConflict


def _export(user: User, archive: ExportArchive) -> None:
    changes = []
    for model in HISTORIED:
        for row in model.history.filter(history_user=user).order_by("history_date"):
            changes.append(
                {
                    "what": model._meta.verbose_name,
                    "id": row.id,
                    "change": row.get_history_type_display(),
                    "at": row.history_date.isoformat(),
                }
            )
    resolved = [
        {"conflict": c.label, "resolution": c.resolution, "at": c.resolved_at.isoformat()}
        for c in ImportConflict.objects.filter(resolved_by=user).exclude(resolved_at=None)
    ]
    if changes or resolved:
        archive.add_json("curriculum_changes.json", {"changes": changes, "import_conflicts_resolved": resolved})


PROVIDER = DataProvider(
    label="Curriculum change history",
    models=("curriculum.ImportConflict", *(f"curriculum.Historical{model.__name__}" for model in HISTORIED)),
    export=_export,
)
