"""Uploads when the file storage fails: a real read-only media directory (a tmpfs mounted
read-only: chmod does not stop root) and a real full one (a 64 KiB tmpfs). The page answers
503 with the workspace, the message and the student's draft, signed in as before; the API
answers a problem+json 503; no partial file is left behind.

Before: the page said "Something went wrong" with the navigation signed out, the API a
generic 500, and each upload on the full disk left its partial file keeping the disk full."""

import os
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.storage import UNAVAILABLE_MESSAGE
from submissions.models import Artifact
from tests.factories import PersonalAccessTokenFactory, WeeklyWorkFactory

from .conftest import PDF_BYTES

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs (needs root, as on the CI machines)")


@pytest.fixture
def tmpfs(settings):
    """A fresh tmpfs as MEDIA_ROOT; yields a function (read_only) → remount it read-only."""
    mount_point = Path(tempfile.mkdtemp(prefix="cp-test-media-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)], check=True)
    (mount_point / "evidence").mkdir()
    settings.MEDIA_ROOT = str(mount_point)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
        mount_point.rmdir()


def read_only(mount_point: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)


def big_pdf(size: int = 200 * 1024) -> SimpleUploadedFile:
    """A PDF larger than the whole 64 KiB tmpfs."""
    return SimpleUploadedFile("load-test.pdf", PDF_BYTES + b"%" + b"x" * size + b"\n", content_type="application/pdf")


def files_in(mount_point: Path) -> list[Path]:
    return [path for path in mount_point.rglob("*") if path.is_file()]


@pytest.fixture
def draft_work(people):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    work.content = {**work.content, "concept": {"text": "My typed analysis of the p95 latency.", "objective_ids": []}}
    work.save(update_fields=["content"])
    return work


def upload_page(work, people, upload) -> tuple[Client, object]:
    client = Client()
    client.force_login(people.student)
    response = client.post(
        reverse("submissions:artifact_upload", args=[work.pk]), {"file": upload, "proves": "p95 under 50 ms"}
    )
    return client, response


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_upload_page_answers_503_with_the_workspace_the_message_and_the_draft(fault, tmpfs, draft_work, people):
    if fault == "read-only":
        read_only(tmpfs)
    _client, response = upload_page(draft_work, people, big_pdf() if fault == "full" else big_pdf(1024))
    assert response.status_code == 503
    page = response.content.decode()
    assert "file storage is unavailable right now" in page
    assert "Something went wrong" not in page
    assert "My typed analysis of the p95 latency." in page  # the draft is all there
    assert 'value="p95 under 50 ms"' in page  # and what they typed in the upload form
    assert people.student.email in page or "Sign out" in page  # still signed in
    assert not Artifact.objects.exists()
    assert files_in(tmpfs) == []  # nothing half-written


def test_a_full_disk_keeps_no_partial_files_so_the_next_small_upload_fits(tmpfs, draft_work, people):
    for _ in range(3):
        _client, response = upload_page(draft_work, people, big_pdf())
        assert response.status_code == 503
    assert files_in(tmpfs) == []
    _client, response = upload_page(draft_work, people, big_pdf(1024))
    assert response.status_code == 302
    assert len(files_in(tmpfs)) == 1 and Artifact.objects.count() == 1


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_api_upload_answers_a_problem_503(fault, tmpfs, draft_work, people):
    if fault == "read-only":
        read_only(tmpfs)
    token = PersonalAccessTokenFactory(user=people.student, scope="read_write")
    api = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
    response = api.post(
        f"/api/v1/works/{draft_work.pk}/artifacts/",
        {"file": big_pdf() if fault == "full" else big_pdf(1024), "proves": "p95 under 50 ms"},
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["detail"]) == (503, "service_unavailable", UNAVAILABLE_MESSAGE)
    assert response["Retry-After"] == "60"
    assert not Artifact.objects.exists()
    assert files_in(tmpfs) == []
