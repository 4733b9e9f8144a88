"""Report actions: request a report, build it, retry a failed one.

`report_build` is what the Celery task, the `build_report` command and the demo all run.
It is idempotent: a run that already succeeded is left alone, and a run delivered again
after its worker died starts over and replaces its own file. It is deliberately not one
transaction: its progress must be visible to the status page while it works.
"""

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from core.db_routing import replica_reads
from core.models import QueuedTask
from core.queue import enqueue
from core.tasks import TRANSIENT_ERRORS, reset_db_connection

from . import generators, signals, writers
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
        queued_at=timezone.now(),
    )
    run.full_clean()
    run.save()
    if enqueue_build:
        enqueue(BUILD_TASK, run.pk)
    return run


@transaction.atomic
def report_retry(*, run: ReportRun, by: User) -> ReportRun:
    """Start a failed or stalled run again from the beginning."""
    run.refresh_from_db(from_queryset=ReportRun.objects.select_for_update())
    if not can_retry_run(by, run):
        raise ValidationError("Only a failed or stalled report can be tried again.", code="not_failed")
    run.status = ReportRun.Status.QUEUED
    run.progress = 0
    run.attempts = 0
    run.error = ""
    run.finished_at = None
    run.queued_at = timezone.now()
    run.save(update_fields=["status", "progress", "attempts", "error", "finished_at", "queued_at"])
    enqueue(BUILD_TASK, run.pk)
    return run


def report_runs_reconcile(*, now=None) -> dict[str, int]:
    """The reconciler (beat, every minute): a running build silent for REPORTS_STALLED_AFTER
    lost its worker: mark it stalled and start it again (or fail it once it has lost
    max_attempts() workers); a build queued for REPORTS_REQUEUE_AFTER whose message is not
    waiting in our outbox may have been lost by the broker: send it again. A build sent twice
    runs once (report_build skips a run another worker is building or has finished)."""
    now = now or timezone.now()
    stalled_before = now - timedelta(seconds=settings.REPORTS_STALLED_AFTER)
    silent = ReportRun.objects.filter(status=ReportRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stalled_before) | Q(heartbeat_at__isnull=True, started_at__lt=stalled_before)
    )
    counts = {"stalled": 0, "failed": 0, "requeued": 0}
    for run_id in silent.values_list("pk", flat=True):
        with transaction.atomic():
            run = silent.select_for_update().filter(pk=run_id).first()
            if run is None:
                continue  # it moved on meanwhile
            if run.attempts >= max_attempts():
                run.status = ReportRun.Status.FAILED
                run.error = gave_up_message(run.attempts)
                run.finished_at = now
                run.save(update_fields=["status", "error", "finished_at"])
                counts["failed"] += 1
                continue
            run.status = ReportRun.Status.STALLED
            run.error = "The worker building this report stopped responding; the report is being started again."
            run.queued_at = now
            run.save(update_fields=["status", "error", "queued_at"])
            enqueue(BUILD_TASK, run.pk)
            counts["stalled"] += 1
    requeue_before = now - timedelta(seconds=settings.REPORTS_REQUEUE_AFTER)
    waiting_in_outbox = {
        args[0]
        for args in QueuedTask.objects.filter(status=QueuedTask.Status.PENDING, task_name=BUILD_TASK).values_list(
            "args", flat=True
        )
        if args
    }
    forgotten = ReportRun.objects.filter(
        status__in=[ReportRun.Status.QUEUED, ReportRun.Status.STALLED], queued_at__lt=requeue_before
    ).exclude(pk__in=waiting_in_outbox)
    for run_id in forgotten.values_list("pk", flat=True):
        with transaction.atomic():
            if forgotten.filter(pk=run_id).update(queued_at=now):
                enqueue(BUILD_TASK, run_id)
                counts["requeued"] += 1
    return counts


def report_fail(*, run_id: int, message: str) -> None:
    """Record a failure the user can read (unless the run already succeeded)."""
    ReportRun.objects.filter(pk=run_id).exclude(status=ReportRun.Status.SUCCEEDED).update(
        status=ReportRun.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _claim(run: ReportRun, take_over: bool = False) -> str:
    """Count this start and say whether to "build", "skip" (already done) or "give_up"
    (the previous starts all died with their worker)."""
    with transaction.atomic():
        # Only these fields: a full refresh would drop the cohort and course already loaded.
        run.refresh_from_db(
            from_queryset=ReportRun.objects.select_for_update(),
            fields=["status", "attempts", "heartbeat_at", "started_at"],
        )
        if run.status == ReportRun.Status.SUCCEEDED:
            return "skip"
        if run.status == ReportRun.Status.RUNNING and not run.is_stalled and not take_over:
            return "skip"  # a live worker is building it (this is a second message for it)
        if run.status == ReportRun.Status.RUNNING and run.attempts >= max_attempts():
            run.status = ReportRun.Status.FAILED
            run.error = gave_up_message(run.attempts)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            return "give_up"
        run.status = ReportRun.Status.RUNNING
        run.attempts = F("attempts") + 1
        run.progress = 0
        run.phase = ReportRun.Phase.COLLECTING
        run.error = ""
        run.started_at = run.heartbeat_at = timezone.now()
        run.finished_at = None
        run.save(
            update_fields=[
                "status",
                "attempts",
                "progress",
                "phase",
                "error",
                "started_at",
                "heartbeat_at",
                "finished_at",
            ]
        )
    run.refresh_from_db(fields=["attempts"])
    return "build"


def _document(run: ReportRun, progress: Callable[[float], None]) -> generators.ReportDocument:
    mentor = User.objects.filter(pk=run.mentor_id).first() if run.mentor_id else None
    if run.kind == ReportRun.Kind.COHORT:
        return generators.cohort_report(run.cohort, mentor=mentor, progress=progress)
    if run.kind == ReportRun.Kind.GRADEBOOK:
        return generators.gradebook_report(run.cohort, mentor=mentor, progress=progress)
    return generators.student_report(run.cohort, run.student, progress=progress)


def _write(
    run: ReportRun, directory: Path, progress: Callable[[float], None], phase: Callable[[str], None]
) -> tuple[Path, str]:
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
        writers.write_pdf(document, directory, target, on_phase=phase)
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


def remove_abandoned_build_directories() -> int:
    """A build's scratch directory is removed when the build ends, even on failure; a worker
    killed mid-build cannot, and each kill once left one behind (60 after two runs). The
    directory is named after the process building in it, so any build removes those whose
    process is gone (never another live worker's)."""
    removed = 0
    for path in Path(tempfile.gettempdir()).glob("report-*-*"):
        pid = path.name.split("-")[1]
        if not pid.isdigit() or not path.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
        except PermissionError:
            pass  # alive, another user's
    return removed


@contextmanager
def _heartbeat(run_id: int) -> Iterator[None]:
    """While the block runs, a thread stamps the run's heartbeat every
    REPORTS_HEARTBEAT_INTERVAL seconds: a long step (laying out a PDF) reports no progress
    but is alive; a worker that died stops stamping and the reconciler notices."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.REPORTS_HEARTBEAT_INTERVAL):
                ReportRun.objects.filter(pk=run_id, status=ReportRun.Status.RUNNING).update(heartbeat_at=timezone.now())
        except Exception:  # noqa: BLE001 - a missed beat must not break the build
            logger.warning("Report %s heartbeat failed", run_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"report-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


def report_build(
    *, run: ReportRun, on_progress: Callable[[int], None] | None = None, take_over: bool = False
) -> ReportRun:
    """Build the run's file, updating its progress in the database as each chunk of
    students is written. Errors mark the run failed with a readable message, except
    transient ones (database or network hiccups), which are raised for the task to retry.
    A run another worker is building (fresh heartbeat) is left to it, unless `take_over`:
    the task was delivered again because that worker died."""
    action = _claim(run, take_over=take_over)
    if action != "build":
        run.refresh_from_db()
        return run
    last = {"percent": -1}
    # Honest progress: reading the rows is only part of a PDF (laying out its pages takes
    # most of the time and reports no rows), so the rows fill 0–COLLECTED % and the phases
    # that follow move it on, each shown by name.
    collected = 40 if run.format == ReportRun.Format.PDF else 90
    phase_floor = {ReportRun.Phase.LAYING_OUT: collected, ReportRun.Phase.WRITING: 95}

    def record(percent: int, phase: str | None = None) -> None:
        percent = max(0, min(99, percent))
        if percent != last["percent"] or phase:
            last["percent"] = percent
            fields = {"progress": percent, "heartbeat_at": timezone.now()}
            if phase:
                fields["phase"] = phase
            ReportRun.objects.filter(pk=run.pk).update(**fields)
            if on_progress:
                on_progress(percent)

    def progress(fraction: float) -> None:
        record(int(fraction * collected))

    def phase(name: str) -> None:
        record(max(last["percent"], phase_floor[name]), name)

    try:
        remove_abandoned_build_directories()
        with _heartbeat(run.pk), tempfile.TemporaryDirectory(prefix=f"report-{os.getpid()}-") as directory:
            # Only the data gathering reads from a replica, when there is one; the run's own
            # row (claim, progress, result) is read and written on the primary.
            with replica_reads():
                path, stem = _write(run, Path(directory), progress, phase)
            if run.format != ReportRun.Format.PDF:
                phase(ReportRun.Phase.WRITING)
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
    with transaction.atomic():
        # Only the build that turns the run to succeeded says it is ready: a redelivered build
        # that finished too finds it succeeded already, so its requester is told once.
        before = ReportRun.objects.select_for_update().filter(pk=run.pk).values_list("status", flat=True).first()
        ReportRun.objects.filter(pk=run.pk).update(
            status=ReportRun.Status.SUCCEEDED, progress=100, file=name, error="", finished_at=timezone.now()
        )
        if before != ReportRun.Status.SUCCEEDED:
            signals.report_ready.send(sender=ReportRun, run=run)
    if on_progress:
        on_progress(100)
    run.refresh_from_db()
    return run
