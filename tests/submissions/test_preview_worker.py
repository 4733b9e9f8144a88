"""A real Celery worker builds the preview of an uploaded file: the upload only marks it as
being prepared and enqueues the task after commit; the worker (its own process, a private
Redis as broker, the test database) decodes, re-encodes and stores the thumbnail."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from submissions import services
from tests.redis_server import PrivateRedis
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for

from . import preview_files as files


class PreviewWorkers(Workers):
    def __init__(self, redis: PrivateRedis, database: SharedDatabase, media_root: str) -> None:
        super().__init__(redis, database, include="tests.submissions.preview_worker_hooks")
        self.media_root = media_root

    def environment(self) -> dict[str, str]:
        return {**super().environment(), "PREVIEWS_TEST_MEDIA_ROOT": self.media_root}


@pytest.fixture
def preview_workers(settings):
    redis = PrivateRedis()
    redis.start()
    media_root = tempfile.mkdtemp(prefix="cp-test-preview-media-")
    settings.MEDIA_ROOT = media_root
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    pool = PreviewWorkers(redis, SharedDatabase(), media_root)
    yield pool
    pool.stop_all()
    redis.stop()
    shutil.rmtree(media_root, ignore_errors=True)


def preview_row(workers: Workers, artifact_id: int) -> dict | None:
    rows = workers.database.rows(
        "SELECT status, kind, image, width, height, failure FROM submissions_evidencepreview WHERE artifact_id = ?",
        (artifact_id,),
    )
    return dict(zip(["status", "kind", "image", "width", "height", "failure"], rows[0], strict=True)) if rows else None


@pytest.mark.django_db(transaction=True)
def test_a_worker_builds_the_preview_of_an_uploaded_photo_and_survives_a_bomb(people, preview_workers):
    week = people.cohort.course.weeks.get(number=3)
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    preview_workers.database.share()
    preview_workers.start()
    with celery_publishing_to(preview_workers.redis.url):
        with transaction.atomic():  # as in a request: the task is sent when this commits
            bomb = services.artifact_upload(
                work=work, upload=SimpleUploadedFile("huge.png", files.png_bomb(8000)), proves="A", by=people.student
            )
            photo = services.artifact_upload(
                work=work, upload=SimpleUploadedFile("rack.jpg", files.jpeg_with_exif()), proves="B", by=people.student
            )
            assert preview_row(preview_workers, photo.pk)["status"] == "pending"

    failed = wait_for(
        lambda: (row := preview_row(preview_workers, bomb.pk)) and row["status"] != "pending" and row,
        60,
        "the worker never recorded the bomb's outcome",
        preview_workers,
    )
    assert failed["status"] == "failed" and "8000×8000" in failed["failure"]
    ready = wait_for(
        lambda: (row := preview_row(preview_workers, photo.pk)) and row["status"] == "ready" and row,
        60,
        "the worker never built the photo's preview (after the bomb)",
        preview_workers,
    )
    assert (ready["kind"], ready["width"], ready["height"]) == ("image", 427, 640)
    thumbnail = Path(preview_workers.media_root) / ready["image"]
    with Image.open(thumbnail) as image:
        assert image.format == "JPEG" and dict(image.getexif()) == {}
    assert all(process.poll() is None for process in preview_workers.processes)  # the worker lives on
