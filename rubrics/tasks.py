"""Thin background tasks around rubrics.services (see core/tasks.py)."""

from core.tasks import durable_task
from submissions.models import Revision

from .services import peer_assign_reviewers, peer_assignments_ensure, self_assessment_attach


@durable_task(name="rubrics.assign_peer_reviewers")
def assign_peer_reviewers(revision_id: int) -> None:
    """What follows a submit, once it commits (submissions enqueues this by name): record the
    self-assessment the author made before submitting on the new revision, and give the
    revision its peer reviewers. Both steps are idempotent, so a retry or a second delivery
    adds nothing. The name stays for the messages already queued under it."""
    revision = Revision.objects.filter(pk=revision_id).first()
    if revision is not None:
        self_assessment_attach(revision=revision)
        peer_assign_reviewers(revision=revision)


@durable_task(name="rubrics.assign_missing_peer_reviewers")
def assign_missing_peer_reviewers() -> None:
    """The schedule's sweep (setup_schedules): revisions still within their peer review window
    that lack reviewers get them, whatever the task after their submit did (it failed, or the
    cohort had too few students then). Idempotent."""
    peer_assignments_ensure()
