"""Thin tasks (ids in, one service call; see core.tasks for the durability rules)."""

from typing import Any

from core.models import TaskRun
from core.tasks import DurableTask, durable_task

from . import emails, services
from .models import DataExport


class ExportTask(DurableTask):
    def on_give_up(self, run: TaskRun, *args: Any, **kwargs: Any) -> None:
        export_id = args[0] if args else kwargs["export_id"]
        services.export_fail(
            export_id=export_id,
            message=f"The archive stopped its worker {run.lost_deliveries} times; an administrator has to look at it.",
        )


@durable_task(name="privacy.build_export", base=ExportTask)
def build_export(export_id: int) -> None:
    export = DataExport.objects.select_related("user").filter(pk=export_id).first()
    if export is not None:
        services.export_build(export=export)


@durable_task(name="privacy.send_erasure_notice")
def send_erasure_notice(request_id: int, event: str) -> None:
    emails.erasure_notice_send(request_id=request_id, event=event)


@durable_task(name="privacy.run_due_erasures")
def run_due_erasures() -> list[int]:
    return services.erasures_run_due()


@durable_task(name="privacy.retention_sweep")
def retention_sweep() -> dict[str, int]:
    return services.retention_sweep()
