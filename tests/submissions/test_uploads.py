"""Evidence files: size limit, content-checked allowlist, names that lie, random storage
names, and downloads that can never render as a page of this site."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions import services
from submissions.models import Artifact
from tests.factories import WeeklyWorkFactory

from .conftest import PDF_BYTES, PNG_BYTES, png, text_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(people):
    return WeeklyWorkFactory(cohort=people.cohort, student=people.student)


def _upload(work, people, upload):
    return services.artifact_upload(work=work, upload=upload, proves="Proof", by=people.student)


def test_png_is_stored_under_a_random_name_with_its_digest(work, people):
    artifact = _upload(work, people, png("my chart.png"))
    assert artifact.content_type == "image/png"
    assert artifact.original_name == "my chart.png"
    assert "my chart" not in artifact.file.name and artifact.file.name.endswith(".png")
    assert artifact.sha256 == hashlib.sha256(PNG_BYTES).hexdigest()
    assert artifact.size == len(PNG_BYTES)


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("report.pdf", PDF_BYTES, "application/pdf"),
        ("k6-summary.json", b'{"p95": 41.2}', "application/json"),
        ("run.log", b"GET /books/1 200 12ms\n", "text/plain"),
        ("budget.csv", b"hop,ms\nproxy,3\n", "text/csv"),
        ("notes.md", b"# Findings\n\nThe ORM dominates.", "text/markdown"),
    ],
)
def test_allowed_types_are_accepted_by_content(work, people, name, body, content_type):
    artifact = _upload(work, people, SimpleUploadedFile(name, body))
    assert artifact.content_type == content_type


def test_oversized_file_is_rejected(work, people, settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="limit"):
        _upload(work, people, SimpleUploadedFile("big.txt", b"a" * 101))
    assert Artifact.objects.count() == 0


MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("size", "message"),
    [
        # Rounded to one decimal both would read "10.0 MB": say only that it is larger.
        (10 * MIB + 1, "The file is larger than the 10.0 MB limit."),
        (12 * MIB, "The file is 12.0 MB; the limit is 10.0 MB."),
    ],
)
def test_the_size_message_never_shows_an_oversized_file_as_equal_to_the_limit(work, people, settings, size, message):
    settings.UPLOAD_MAX_BYTES = 10 * MIB
    upload = SimpleUploadedFile("big.txt", b"a")
    upload.size = size  # the size is checked before anything is read
    with pytest.raises(ValidationError) as refused:
        _upload(work, people, upload)
    assert refused.value.messages[0].replace("\xa0", " ") == message


def test_a_file_one_byte_over_the_limit_is_refused_on_the_page_with_a_clear_message(work, people, client_for, settings):
    settings.UPLOAD_MAX_BYTES = 10 * MIB
    upload = SimpleUploadedFile("k6-run.log", b"a" * (10 * MIB + 1), content_type="text/plain")
    response = client_for(people.student).post(
        reverse("submissions:artifact_upload", args=[work.pk]), {"file": upload, "proves": "Load test"}
    )
    assert response.status_code == 400
    assert "The file is larger than the 10.0\xa0MB limit." in response.content.decode()
    assert Artifact.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64),
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("diagram.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'),
        ("data.xml", b'<?xml version="1.0"?><root/>'),
        ("blob.bin", bytes(range(256))),
    ],
)
def test_disallowed_types_are_rejected(work, people, name, body):
    with pytest.raises(ValidationError):
        _upload(work, people, SimpleUploadedFile(name, body))
    assert Artifact.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("chart.png", b"<html><body><script>alert(document.cookie)</script></body></html>"),
        ("notes.txt", b"  <svg onload=alert(1)>"),
        ("report.pdf", PNG_BYTES),
        ("readme.txt", PDF_BYTES),
        ("photo.jpg", b"just some text pretending to be a photo"),
    ],
)
def test_a_name_that_lies_about_the_content_is_rejected(work, people, name, body):
    with pytest.raises(ValidationError):
        _upload(work, people, SimpleUploadedFile(name, body))


def test_rejected_upload_shows_the_reason_next_to_the_field(work, people, client_for):
    response = client_for(people.student).post(
        reverse("submissions:artifact_upload", args=[work.pk]),
        {"file": SimpleUploadedFile("chart.png", b"<html><script>x</script></html>"), "proves": "Chart"},
    )
    assert response.status_code == 400
    assert "HTML, SVG and XML files are not accepted" in response.content.decode()


def test_download_is_an_attachment_with_safe_headers(work, people, client_for):
    artifact = _upload(work, people, text_file("findings.md", "# Findings\n<b>never rendered</b>"))
    response = client_for(people.student).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="findings.md"' in response["Content-Disposition"]
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content).startswith(b"# Findings")


def test_download_of_a_png_keeps_its_image_type_as_attachment(work, people, client_for):
    artifact = _upload(work, people, png())
    response = client_for(people.mentor).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")


def test_evidence_tag_must_name_a_required_item(work, people):
    with pytest.raises(ValidationError):
        services.artifact_upload(work=work, upload=png(), proves="x", evidence_item="Made-up item", by=people.student)
