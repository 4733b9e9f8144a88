"""report_build: idempotent, restarts cleanly after a dead worker, bounded, readable failures."""

import datetime

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.utils import timezone

from reports import generators
from reports.models import ReportRun
from reports.services import report_build, report_request


@pytest.fixture
def run(people):
    return report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)


@pytest.fixture
def hook(monkeypatch):
    """Runs the given functions each time the cohort report loads a chunk of students (just
    before it does), with the chunk's number: the real loader, wrapped at the test level, so a
    test can fail a build or look at it between chunks."""
    hooks: list = []
    real_student_chunk = generators.student_chunk
    loaded = 0

    def student_chunk(frame, ids):
        nonlocal loaded
        loaded += 1
        for function in hooks:
            function(loaded)
        return real_student_chunk(frame, ids)

    monkeypatch.setattr(generators, "student_chunk", student_chunk)
    return hooks.append


@pytest.mark.django_db
def test_building_a_finished_run_again_changes_nothing(run):
    first = report_build(run=run)
    finished_at, name = first.finished_at, first.file.name
    again = report_build(run=ReportRun.objects.get(pk=run.pk))
    assert (again.status, again.attempts, again.finished_at, again.file.name) == ("succeeded", 1, finished_at, name)


@pytest.mark.django_db
def test_a_run_whose_worker_died_restarts_and_replaces_its_own_file(run, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    built = report_build(run=run)
    # What a worker that died while saving would leave: status running, a stale file, and no
    # heartbeat since (a live worker's would be fresh, and the build left to it).
    silent_since = timezone.now() - datetime.timedelta(seconds=settings.REPORTS_STALLED_AFTER + 1)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING, progress=40, heartbeat_at=silent_since)
    rebuilt = report_build(run=ReportRun.objects.get(pk=run.pk))
    assert (rebuilt.status, rebuilt.attempts, rebuilt.progress) == ("succeeded", 2, 100)
    assert rebuilt.file.name == built.file.name
    assert default_storage.listdir(f"reports/{run.pk}")[1] == [built.file.name.rsplit("/", 1)[1]]


@pytest.mark.django_db
def test_a_run_that_died_with_its_worker_three_times_gives_up(run):
    silent_since = timezone.now() - datetime.timedelta(minutes=10)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING, attempts=3, heartbeat_at=silent_since)
    result = report_build(run=ReportRun.objects.get(pk=run.pk))
    assert result.status == ReportRun.Status.FAILED
    assert result.error.startswith("The report stopped its worker 3 times; giving up.")
    assert result.attempts == 3 and not result.file


@pytest.mark.django_db
def test_an_error_marks_the_run_failed_with_a_readable_message(run, hook):
    def broken(chunk):
        raise ValueError("the lab evidence list is malformed")

    hook(broken)
    result = report_build(run=run)
    assert result.status == ReportRun.Status.FAILED
    assert result.error == "The report could not be built: ValueError: the lab evidence list is malformed"


@pytest.mark.django_db
def test_a_transient_error_is_raised_for_the_task_to_retry_and_the_run_waits(run, hook):
    def database_gone(chunk):
        raise OperationalError("server closed the connection unexpectedly")

    hook(database_gone)
    with pytest.raises(OperationalError):
        report_build(run=run)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.QUEUED and "tried again" in run.error


@pytest.mark.django_db
def test_progress_is_stored_after_every_chunk(people, run, hook, settings):
    from tests.factories import MembershipFactory

    settings.REPORTS_CHUNK_SIZE = 1
    MembershipFactory(cohort=people.cohort)  # three students: three chunks
    seen = []
    hook(lambda chunk: seen.append(ReportRun.objects.values_list("progress", flat=True).get(pk=run.pk)))
    assert report_build(run=run).progress == 100
    assert seen == [0, 30, 60]  # a CSV's rows fill 0–90 %; writing the file is the rest
