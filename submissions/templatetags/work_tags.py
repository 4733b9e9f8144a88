"""Template access to the one definition of the work-state labels (submissions.models.WORK_STATUSES)."""

from django import template

from submissions.models import WORK_STATUSES, WorkStatus

register = template.Library()


@register.filter(name="work_status")
def work_status_filter(state: str) -> WorkStatus | None:
    """A work's state key (its display state, "not_started", "missing") as its label and tone."""
    return WORK_STATUSES.get(state)
