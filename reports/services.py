"""Report actions: request a report, build it, retry a failed one.

`report_build` is what the Celery task, the `build_report` command and the demo all run.
It is idempotent: a run that already succeeded is left alone, and a run delivered again
after its worker died starts over and replaces its own file. It is deliberately not one
transaction: its progress must be visible to the status page while it works.
"""

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from core.queue import enqueue
from core.tasks import TRANSIENT_ERRORS, reset_db_connection

from . import generators, writers
from .models import ReportRun
from .policies import can_retry_run, report_scope_for

logger = logging.getLogger(__name__)

BUILD_TASK = "reports.build_report"
EXTENSIONS = {ReportRun.Format.CSV: "csv", ReportRun.Format.HTML: "html", ReportRun.Format.PDF: "pdf"}


def max_attempts() -> int:
    return settings.CELERY_TASK_MAX_LOST_DELIVERIES


def gave_up_message(times: int) -> str:
    return (
        f"The report stopped its worker {times} times; giving up. It is probably too large for the worker's "
        "memory: try CSV, or a smaller group of students, or ask an administrator to look at the worker logs."
    )


@transaction.atomic
def report_request(
    *, kind: str, fmt: str, cohort: Cohort, student: User | None = None, by: User, enqueue_build: bool = True
) -> ReportRun:
    """Create a run and start building it once the transaction commits. A mentor's cohort
    report and gradebook cover only their assigned students (see reports.policies)."""
    scope = report_scope_for(by, kind, cohort, student)
    if scope is False:
        raise ValidationError("You may not request this report.", code="forbidden")
    if kind != ReportRun.Kind.STUDENT:
        student = None
    run = ReportRun(
        kind=kind,
        format=fmt,
        cohort=cohort,
        student=student,
        parameters={"cohort_id": cohort.pk, "student_id": student.pk if student else None, "mentor_id": scope},
        requested_by=by,
    )
    run.full_clean()
    run.save()
    if enqueue_build:
        enqueue(BUILD_TASK, run.pk)
    return run


@transaction.atomic
def report_retry(*, run: ReportRun, by: User) -> ReportRun:
    """Start a failed run again from the beginning."""
    run.refresh_from_db(from_queryset=ReportRun.objects.select_for_update())
    if not can_retry_run(by, run):
        raise ValidationError("Only a failed report can be tried again.", code="not_failed")
    run.status = ReportRun.Status.QUEUED
    run.progress = 0
    run.attempts = 0
    run.error = ""
    run.finished_at = None
    run.save(update_fields=["status", "progress", "attempts", "error", "finished_at"])
    enqueue(BUILD_TASK, run.pk)
    return run


def report_fail(*, run_id: int, message: str) -> None:
    """Record a failure the user can read (unless the run already succeeded)."""
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.SUCCEEDED).update(
        status=ReportRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _claim(run: ReportRun) -> str:
    """Count this start and say whether to "build", "skip" (already done) or "give_up"
    (the previous starts all died with their worker)."""
    with transaction.atomic():
        # Only these fields: a full refresh would drop the cohort and course already loaded.
        run.refresh_from_db(from_queryset=ReportRun.objects.select_for_update(), fields=["status", "attempts"])
        if run.status == ReportRun.Status.SUCCEEDED:
            return "skip"
        if run.status == ReportRun.Status.RUNNING and run.attempts >= max_attempts():
            run.status = ReportRun.Status.FAILED
            run.error = gave_up_message(run.attempts)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            return "give_up"
        run.status = ReportRun.Status.RUNNING
        run.attempts = F("attempts") + 1
        run.progress = 0
        run.error = ""
        run.started_at = timezone.now()
        run.finished_at = None
        run.save(update_fields=["status", "attempts", "progress", "error", "started_at", "finished_at"])
    run.refresh_from_db(fields=["attempts"])
    return "build"


def _document(run: ReportRun, progress: Callable[[float], None]) -> generators.ReportDocument:
    mentor = User.objects.filter(pk=run.mentor_id).first() if run.mentor_id else None
    if run.kind == ReportRun.Kind.COHORT:
        return generators.cohort_report(run.cohort, mentor=mentor, progress=progress)
    if run.kind == ReportRun.Kind.GRADEBOOK:
        return generators.gradebook_report(run.cohort, mentor=mentor, progress=progress)
    return generators.student_report(run.cohort, run.student, progress=progress)


def _write(run: ReportRun, directory: Path, progress: Callable[[float], None]) -> tuple[Path, str]:
    """Build the file in `directory`; return its path and the document's file name stem."""
    document = _document(run, progress)
    if run.format == ReportRun.Format.CSV:
        path = directory / "report.csv"
        with path.open("w", newline="", encoding="utf-8") as target:
            writers.write_csv(document, target)
        return path, document.filename_stem
    if run.format == ReportRun.Format.HTML:
        html_path = directory / "report.html"
        with html_path.open("w", encoding="utf-8") as target:
            writers.write_html(document, target)
        return html_path, document.filename_stem
    pdf_path = directory / "report.pdf"
    with pdf_path.open("wb") as target:
        writers.write_pdf(document, directory, target)
    return pdf_path, document.filename_stem


def _store(run: ReportRun, path: Path, stem: str) -> str:
    """Keep the file through the default storage under a name of its own; a build that ran
    before (and died while saving) leaves nothing behind."""
    date = timezone.localdate().isoformat()
    name = f"reports/{run.pk}/{stem}-{date}.{EXTENSIONS[run.format]}"
    for old in {run.file.name, name} - {""}:
        if default_storage.exists(old):
            default_storage.delete(old)
    with path.open("rb") as source:
        return default_storage.save(name, File(source, name=Path(name).name))


def report_build(*, run: ReportRun, on_progress: Callable[[int], None] | None = None) -> ReportRun:
    """Build the run's file, updating its progress in the database as each chunk of
    students is written. Errors mark the run failed with a readable message, except
    transient ones (database or network hiccups), which are raised for the task to retry."""
    action = _claim(run)
    if action != "build":
        run.refresh_from_db()
        return run
    last = {"percent": -1}

    def progress(fraction: float) -> None:
        percent = max(0, min(99, int(fraction * 100)))
        if percent != last["percent"]:
            last["percent"] = percent
            ReportRun.objects.filter(pk=run.pk).update(progress=percent)
            if on_progress:
                on_progress(percent)

    try:
        with tempfile.TemporaryDirectory(prefix="report-") as directory:
            path, stem = _write(run, Path(directory), progress)
            name = _store(run, path, stem)
    except TRANSIENT_ERRORS:
        # The connection may be the thing that broke: without a fresh one this update fails
        # too, the run stays "running" and its retry looks like a worker that died.
        reset_db_connection()
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportRun.Status.QUEUED, error="A temporary problem interrupted the build; it will be tried again."
        )
        raise
    except Exception as exc:
        logger.exception("Report run %s failed", run.pk)
        report_fail(run_id=run.pk, message=f"The report could not be built: {exc.__class__.__name__}: {exc}"[:2000])
        run.refresh_from_db()
        return run
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.SUCCEEDED, progress=100, file=name, error="", finished_at=timezone.now()
    )
    if on_progress:
        on_progress(100)
    run.refresh_from_db()
    return run
