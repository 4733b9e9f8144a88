"""Demo reports: one finished cohort progress report of the demo cohort, as CSV and as PDF,
requested by the demo instructor and built in-process through the same services a worker
uses (so the demo shows a finished report whether or not a worker runs). Idempotent: a
format that already has a finished run is not built again."""

from courseplatform.demo import DemoContext
from reports.models import ReportRun
from reports.services import report_build, report_request


def seed(demo: DemoContext) -> None:
    for fmt in (ReportRun.Format.CSV, ReportRun.Format.PDF):
        done = ReportRun.objects.filter(
            cohort=demo.cohort,
            kind=ReportRun.Kind.COHORT,
            format=fmt,
            requested_by=demo.instructor,
            status=ReportRun.Status.SUCCEEDED,
        ).exists()
        if done:
            continue
        run = report_request(
            kind=ReportRun.Kind.COHORT, fmt=fmt, cohort=demo.cohort, by=demo.instructor, enqueue_build=False
        )
        run = report_build(run=run)
        if run.status == ReportRun.Status.SUCCEEDED:
            demo.write(f"Report: {run} built for {demo.instructor.email} ({run.file.name}).")
        else:
            demo.write(f"Report: {run} failed: {run.error}")
