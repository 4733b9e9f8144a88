"""A report whose worker died is shown as stalled, can be tried again, and is started again
by the reconciler within a minute instead of after the broker's 2 h visibility timeout; one
whose queue message was lost (a Redis restart without persistence) is sent again. Real
`celery worker` processes SIGKILLed whole, a private redis-server restarted (tests/workers.py)."""

import datetime
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from core.queue import publish
from reports.models import ReportRun
from reports.services import report_request, report_runs_reconcile
from tests.factories import MembershipFactory
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for


def stalled_run(people) -> ReportRun:
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    long_ago = timezone.now() - datetime.timedelta(minutes=10)
    ReportRun.objects.filter(pk=run.pk).update(
        status=ReportRun.Status.RUNNING, progress=99, attempts=1, started_at=long_ago, heartbeat_at=long_ago
    )
    run.refresh_from_db()
    return run


def test_a_running_report_without_a_heartbeat_is_shown_stalled_and_can_be_tried_again(people, client_for):
    run = stalled_run(people)
    client = client_for(people.instructor)
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "has stopped responding" in page and "Try again" in page
    status = client.get(reverse("reports:status", args=[run.pk])).json()
    assert (status["status_label"], status["stalled"]) == ("Stalled", True)
    assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.RUNNING  # GET never writes

    response = client.post(reverse("reports:retry", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.progress, run.attempts) == (ReportRun.Status.QUEUED, 0, 0)


def test_a_live_running_report_cannot_be_retried(people, client_for):
    run = stalled_run(people)
    ReportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    client = client_for(people.instructor)
    assert "Try again" not in client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    client.post(reverse("reports:retry", args=[run.pk]))
    assert ReportRun.objects.get(pk=run.pk).status == ReportRun.Status.RUNNING
    assert client_for(people.foreign_instructor).post(reverse("reports:retry", args=[run.pk])).status_code == 404


@pytest.fixture
def report_workers(redis_server):
    media_root = tempfile.mkdtemp(prefix="cp-test-report-media-")
    pool = Workers(redis_server, SharedDatabase(), include="tests.reports.worker_hooks")
    pool.extra_env = {
        "REPORTS_TEST_MEDIA_ROOT": media_root,
        # The broker would give the killed build out again only after this: the reconciler must not wait for it.
        "CELERY_VISIBILITY_TIMEOUT": "600",
        "CELERY_TASK_TIME_LIMIT": "300",
        "CELERY_TASK_SOFT_TIME_LIMIT": "290",
        "REPORTS_HEARTBEAT_INTERVAL": "0.5",
        "REPORTS_STALLED_AFTER": "3",
    }
    pool.media_root = media_root
    yield pool
    pool.stop_all()
    shutil.rmtree(media_root, ignore_errors=True)


def run_status(pk: int) -> str:
    return ReportRun.objects.values_list("status", flat=True).get(pk=pk)


def build_directories(root: str | None = None) -> set[str]:
    return {path.name for path in Path(root or tempfile.gettempdir()).glob("report-*-*")}


@pytest.mark.django_db(transaction=True)
def test_a_report_whose_whole_worker_was_killed_is_started_again_by_the_reconciler(
    people, report_workers, redis_server, settings
):
    settings.REPORTS_STALLED_AFTER = 3
    for _ in range(4):
        MembershipFactory(cohort=people.cohort)
    report_workers.extra_env["REPORTS_TEST_CHUNK_DELAY"] = "0.6"
    # The workers' scratch directories in a temporary directory of this test's own: under xdist
    # another process's report builds come and go in the shared one, and were counted as leaked.
    scratch = tempfile.mkdtemp(prefix="stalled-scratch-")
    report_workers.extra_env["TMPDIR"] = scratch
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    report_workers.database.share()
    first = report_workers.start()
    before = build_directories(scratch)
    with celery_publishing_to(redis_server.url):
        assert publish("reports.build_report", [run.pk], {})
        wait_for(
            lambda: run_status(run.pk) == "running" and ReportRun.objects.get(pk=run.pk).progress >= 30,
            60,
            "the first worker never got a third of the way",
            report_workers,
        )
        leaked = build_directories(scratch) - before
        report_workers.kill(first)
        killed_at = time.monotonic()
        assert run_status(run.pk) == "running"

        # The reconciler (beat runs it every minute) notices the silence and starts it again.
        wait_for(
            lambda: report_runs_reconcile()["stalled"] == 1, 30, "the reconciler never saw it stall", report_workers
        )
        noticed_after = time.monotonic() - killed_at
        run.refresh_from_db()
        assert run.status == ReportRun.Status.STALLED and "stopped responding" in run.error
        report_workers.start()
        wait_for(lambda: run_status(run.pk) == "succeeded", 60, "the report was not rebuilt", report_workers)
    recovered_after = time.monotonic() - killed_at
    run.refresh_from_db()
    assert (run.progress, run.attempts, run.error) == (100, 2, "")
    assert recovered_after < 60, f"recovered after {recovered_after:.0f} s"
    # The killed build's scratch directory was removed by the next build.
    assert leaked and not (leaked & build_directories(scratch))
    shutil.rmtree(scratch, ignore_errors=True)
    folder = Path(report_workers.media_root) / "reports" / str(run.pk)
    assert [p.name for p in folder.iterdir()] == [Path(run.file.name).name]
    print(f"\nstalled noticed {noticed_after:.1f} s after the kill; report ready {recovered_after:.1f} s after it")


@pytest.mark.django_db(transaction=True)
def test_a_queued_report_whose_message_redis_lost_is_sent_again(people, report_workers, redis_server, settings):
    settings.REPORTS_REQUEUE_AFTER = 0
    report_workers.database.share()
    with celery_publishing_to(redis_server.url):
        run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor)
        # The message is in Redis; Redis restarts without persistence and forgets it.
        redis_server.stop()
        redis_server.start()
        report_workers.start()
        assert run_status(run.pk) == "queued"
        assert report_runs_reconcile()["requeued"] == 1
        wait_for(lambda: run_status(run.pk) == "succeeded", 60, "the re-sent build never ran", report_workers)
    run.refresh_from_db()
    assert run.attempts == 1 and os.path.basename(run.file.name).endswith(".csv")
