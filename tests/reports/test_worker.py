"""Reports survive a killed worker: real `celery worker` processes on a private Redis and
the test database (tests/workers.py)."""

import csv
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from core.queue import publish
from reports.models import ReportRun
from reports.services import report_request
from tests.factories import MembershipFactory
from tests.redis_server import PrivateRedis
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for


class ReportWorkers(Workers):
    """Workers that load tests.reports.worker_hooks and write files to their own media root."""

    def __init__(self, redis: PrivateRedis, database: SharedDatabase, media_root: str) -> None:
        super().__init__(redis, database, include="tests.reports.worker_hooks")
        self.media_root = media_root

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "REPORTS_TEST_MEDIA_ROOT": self.media_root,
            # The redelivery (after the 6 s visibility timeout) must find the killed build silent.
            "REPORTS_HEARTBEAT_INTERVAL": "0.5",
            "REPORTS_STALLED_AFTER": "3",
            **self.extra_env,
        }


@pytest.fixture
def report_workers():
    redis = PrivateRedis()
    redis.start()
    pool = ReportWorkers(redis, SharedDatabase(), tempfile.mkdtemp(prefix="cp-test-report-media-"))
    yield pool
    pool.stop_all()
    redis.stop()
    shutil.rmtree(pool.media_root, ignore_errors=True)


def run_row(workers: ReportWorkers, pk: int) -> dict | None:
    rows = workers.database.rows(
        "SELECT status, progress, attempts, file, error FROM reports_reportrun WHERE id = ?", (pk,)
    )
    return dict(zip(["status", "progress", "attempts", "file", "error"], rows[0], strict=True)) if rows else None


def start_report(people, workers: ReportWorkers) -> tuple[ReportRun, subprocess.Popen]:
    """Create the run, share the database with the worker, start a worker, send the task."""
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    workers.database.share()
    worker = workers.start()
    # The worker starting beside it takes the CPU; the publish is not what these tests are about.
    with celery_publishing_to(workers.redis.url, broker_timeout=15):
        assert publish("reports.build_report", [run.pk], {})
    return run, worker


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_report_does_not_lose_it(people, report_workers):
    for _ in range(4):
        MembershipFactory(cohort=people.cohort)
    report_workers.extra_env = {"REPORTS_TEST_CHUNK_DELAY": "0.6"}  # six students, one per chunk: ~3.6 s
    run, first = start_report(people, report_workers)

    wait_for(
        lambda: (row := run_row(report_workers, run.pk)) and row["status"] == "running" and row["progress"] >= 30,
        30,
        "the first worker never got a third of the way",
        report_workers,
    )
    report_workers.kill(first)
    killed = run_row(report_workers, run.pk)
    assert killed["status"] == "running" and killed["progress"] < 100 and not killed["file"]

    report_workers.start()
    done = wait_for(
        lambda: (row := run_row(report_workers, run.pk)) and row["status"] == "succeeded" and row,
        40,
        "the report was not finished by the second worker",
        report_workers,
    )
    assert (done["progress"], done["attempts"], done["error"]) == (100, 2, "")
    folder = Path(report_workers.media_root) / "reports" / str(run.pk)
    assert [p.name for p in folder.iterdir()] == [Path(done["file"]).name]  # produced once
    rows = list(csv.reader(io.StringIO((Path(report_workers.media_root) / done["file"]).read_text())))
    assert len(rows) == 1 + 6 and rows[0][:2] == ["Student", "Email"]


@pytest.mark.django_db(transaction=True)
def test_a_report_that_kills_its_worker_every_time_ends_failed(people, report_workers):
    report_workers.extra_env = {"REPORTS_TEST_KILL": "1"}
    run, _worker = start_report(people, report_workers)
    failed = wait_for(
        lambda: (row := run_row(report_workers, run.pk)) and row["status"] == "failed" and row,
        45,
        "the report never gave up",
        report_workers,
    )
    assert "The report stopped its worker 3 times; giving up." in failed["error"]
    assert failed["attempts"] == 3
    assert not failed["file"]
