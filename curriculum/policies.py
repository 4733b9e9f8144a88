"""Who may do what with the curriculum. Reading it is public (the course pages and API);
editing needs the model permission, as in the admin."""

from accounts.models import User

from .models import ImportConflict

# The model an import record names by its last part ("week:3/objective:1" → objective).
_RECORD_MODELS = {
    "course": "course",
    "week": "week",
    "objective": "objective",
    "lab": "lab",
    "gate": "qualitygate",
    "project": "capstoneproject",
    "deliverable": "capstonedeliverable",
}


def can_edit(user: User, model_name: str) -> bool:
    """Change permission on a curriculum model ("objective", "course", …), for staff."""
    return (
        user.is_authenticated and user.is_active and user.is_staff and user.has_perm(f"curriculum.change_{model_name}")
    )


def can_settle_import_conflict(user: User, conflict: ImportConflict) -> bool:
    """Settling a conflict may write the file's value into the record: it needs the right to
    change that record, as editing it in the admin does."""
    model_name = _RECORD_MODELS.get(conflict.record.rsplit("/", 1)[-1].partition(":")[0])
    return model_name is not None and can_edit(user, model_name)
