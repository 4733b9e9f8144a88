"""The LTI app's background work: thin wrappers around its services (ids in)."""

from core.tasks import durable_task

from .services.grades import grade_sync_send


@durable_task(name="lti.send_grade", max_retries=8)
def send_grade(sync_id: int) -> None:
    """Send one decision's score to the LMS; the LMS being away (LmsUnavailable, a
    ConnectionError) is retried with the tasks' backoff; the row says why meanwhile."""
    grade_sync_send(sync_id=sync_id)
