"""Thin background tasks around rubrics.services (see core/tasks.py)."""

from core.tasks import durable_task


@durable_task(name="rubrics.assign_peer_reviewers")
def assign_peer_reviewers(revision_id: int) -> None:
    """Give a just-submitted revision its peer reviewers (idempotent)."""
    from submissions.models import Revision

    from .services import peer_assign_reviewers

    revision = Revision.objects.filter(pk=revision_id).first()
    if revision is not None:
        peer_assign_reviewers(revision=revision)
