"""Background work of the submissions app: thin wrappers around services (see core.tasks)."""

from typing import Any

from core.models import TaskRun
from core.tasks import DurableTask, durable_task

from .previews import evidence_preview_build, evidence_preview_give_up


class PreviewTask(DurableTask):
    # A hostile file may make a decoder loop: the soft limit ends the attempt with an
    # exception (recorded as a failed preview), the hard one ends the worker process, and after
    # CELERY_TASK_MAX_LOST_DELIVERIES such deaths on_give_up records the failure.
    soft_time_limit = 60
    time_limit = 90

    def on_give_up(self, run: TaskRun, *args: Any, **kwargs: Any) -> None:
        artifact_id = args[0] if args else kwargs["artifact_id"]
        evidence_preview_give_up(
            artifact_id=artifact_id,
            reason=f"Gave up: the worker building it died {run.lost_deliveries} times.",
        )


@durable_task(name="submissions.build_evidence_preview", base=PreviewTask)
def build_evidence_preview(artifact_id: int) -> None:
    evidence_preview_build(artifact_id=artifact_id)
