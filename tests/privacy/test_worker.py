"""The archive is built by a real `celery worker` (private Redis, the test database; see
tests/workers.py) and survives that worker being killed with SIGKILL mid-build."""

import io
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.queue import publish
from privacy.services import export_request
from tests.factories import ArtifactFactory
from tests.redis_server import PrivateRedis
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for

FILES = 6


class ExportWorkers(Workers):
    def __init__(self, redis: PrivateRedis, database: SharedDatabase, media_root: str) -> None:
        super().__init__(redis, database, include="tests.privacy.worker_hooks")
        self.media_root = media_root
        self.temp_root = tempfile.mkdtemp(prefix="cp-test-privacy-tmp-")

    def environment(self) -> dict[str, str]:
        return {
            **super().environment(),
            "PRIVACY_TEST_MEDIA_ROOT": self.media_root,
            "TMPDIR": self.temp_root,
            **self.extra_env,
        }


@pytest.fixture
def export_workers(settings):
    redis = PrivateRedis()
    redis.start()
    pool = ExportWorkers(redis, SharedDatabase(), tempfile.mkdtemp(prefix="cp-test-privacy-media-"))
    settings.MEDIA_ROOT = pool.media_root
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    yield pool
    pool.stop_all()
    redis.stop()
    shutil.rmtree(pool.media_root, ignore_errors=True)
    shutil.rmtree(pool.temp_root, ignore_errors=True)


def _row(workers: ExportWorkers, pk: int) -> dict | None:
    rows = workers.database.rows("SELECT status, progress, phase, file FROM privacy_dataexport WHERE id = ?", (pk,))
    return dict(zip(["status", "progress", "phase", "file"], rows[0], strict=True)) if rows else None


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_archive_does_not_lose_it(course, export_workers):
    first_artifact = ArtifactFactory(file=SimpleUploadedFile("e0.txt", b"evidence 0\n", content_type="text/plain"))
    work, student = first_artifact.work, first_artifact.work.student
    for n in range(1, FILES):
        ArtifactFactory(work=work, file=SimpleUploadedFile(f"e{n}.txt", f"evidence {n}\n".encode()))
    export = export_request(user=student, by=student, enqueue_build=False)
    export_workers.extra_env = {"PRIVACY_TEST_FILE_DELAY": "0.8"}
    export_workers.database.share()
    first = export_workers.start()
    with celery_publishing_to(export_workers.redis.url):
        assert publish("privacy.build_export", [export.pk], {})

    wait_for(
        lambda: (
            (row := _row(export_workers, export.pk)) and row["status"] == "running" and "Collecting" in row["phase"]
        ),
        30,
        "the first worker never started collecting",
        export_workers,
    )
    export_workers.kill(first)
    killed = _row(export_workers, export.pk)
    assert killed["status"] == "running" and not killed["file"]
    assert len(list(Path(export_workers.temp_root).glob("privacy-export-*"))) == 1  # left by the killed build

    export_workers.extra_env = {}
    export_workers.start()
    done = wait_for(
        lambda: (row := _row(export_workers, export.pk)) and row["status"] == "succeeded" and row,
        60,
        "the archive was not finished by the second worker",
        export_workers,
    )
    assert done["progress"] == 100
    # The second build removed the killed one's directory (older than the task time limit)
    # and its own.
    assert list(Path(export_workers.temp_root).glob("privacy-export-*")) == []
    folder = Path(export_workers.media_root) / "privacy" / "exports" / str(export.pk)
    archives = list(folder.rglob("*.zip"))
    assert [p.relative_to(export_workers.media_root).as_posix() for p in archives] == [done["file"]]  # one archive
    archive = zipfile.ZipFile(io.BytesIO(archives[0].read_bytes()))
    evidence = sorted(n for n in archive.namelist() if "/evidence/" in n)
    assert len(evidence) == FILES
    assert {archive.read(n) for n in evidence} == {f"evidence {n}\n".encode() for n in range(FILES)}
