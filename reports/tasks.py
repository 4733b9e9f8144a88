"""The report task: an id in, one service call (see core.tasks for the durability rules)."""

from typing import Any

from core.models import TaskRun
from core.tasks import TRANSIENT_ERRORS, DurableTask, durable_task

from .models import ReportRun
from .services import gave_up_message, report_build, report_fail, report_runs_reconcile


class ReportTask(DurableTask):
    def on_give_up(self, run: TaskRun, *args: Any, **kwargs: Any) -> None:
        """Its worker died too often (see DurableTask): say so on the report's page."""
        run_id = args[0] if args else kwargs["run_id"]
        report_fail(run_id=run_id, message=gave_up_message(run.lost_deliveries))


@durable_task(name="reports.build_report", base=ReportTask, bind=True)
def build_report(self, run_id: int) -> None:
    run = ReportRun.objects.select_related("cohort__course", "student").filter(pk=run_id).first()
    if run is None:
        return  # deleted meanwhile: nothing to build
    try:
        # Delivered again because the worker building it died: its fresh heartbeat is the dead
        # worker's, so take the build over instead of leaving it to a live one.
        report_build(run=run, take_over=bool(getattr(self.request, "after_worker_lost", False)))
    except TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            report_fail(run_id=run_id, message=f"The report could not be built after several tries: {exc}")
        raise


@durable_task(name="reports.reconcile_runs")
def reconcile_runs() -> dict:
    """Scheduled every minute by beat: stalled builds are started again, lost ones re-sent."""
    return report_runs_reconcile()
