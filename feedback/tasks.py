"""Thin background tasks around feedback.services (see core/tasks.py)."""

from core.tasks import durable_task
from submissions.models import Revision

from .services import threads_carry


@durable_task(name="feedback.carry_threads")
def carry_threads(revision_id: int) -> None:
    """After a submit commits (submissions enqueues this by name): carry the work's open
    threads to the new revision. Idempotent."""
    revision = Revision.objects.filter(pk=revision_id).first()
    if revision is not None:
        threads_carry(revision=revision)
