"""Evidence previews (submissions/previews.py): built from real files by the service the worker
runs, shown by the pages where evidence is listed, served only to whoever may see the file."""

import datetime
import io
import os
import stat
import time

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from portfolios import services as portfolio_services
from privacy.services import erasure_execute, erasure_request
from submissions import previews, services
from submissions.models import Artifact, EvidencePreview
from tests.factories import PortfolioFactory

from . import preview_files as files

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(people):
    week = people.cohort.course.weeks.get(number=3)
    return services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)


def upload(work, name: str, data: bytes, *, build: bool = True) -> Artifact:
    """Upload through the service (type checked, stored, a pending preview row) and, as the
    worker would after commit, build the preview."""
    artifact = services.artifact_upload(
        work=work, upload=SimpleUploadedFile(name, data), proves="What it shows", by=work.student
    )
    assert EvidencePreview.objects.get(artifact=artifact).status == EvidencePreview.Status.PENDING
    if build:
        previews.evidence_preview_build(artifact_id=artifact.pk)
    return artifact


def preview_of(artifact: Artifact) -> EvidencePreview:
    return EvidencePreview.objects.get(artifact=artifact)


def stored_image(preview: EvidencePreview) -> Image.Image:
    with default_storage.open(preview.image.name, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


# --- Building from real files -------------------------------------------------------------------


def test_a_photo_is_re_encoded_upright_small_and_without_its_metadata(work):
    original = files.jpeg_with_exif(1200, 800)
    artifact = upload(work, "rack-photo.jpg", original)
    preview = preview_of(artifact)
    assert (preview.status, preview.kind, preview.image_type) == ("ready", "image", "image/jpeg")
    image = stored_image(preview)
    # Stored sideways with orientation 6: shown upright (portrait), the long side at 640.
    assert image.size == (preview.width, preview.height) == (427, 640)
    assert image.getpixel((5, 5))[2] > 150  # the blue half is on top after the turn
    assert image.getpixel((5, image.height - 5))[0] > 150
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    with default_storage.open(preview.image.name, "rb") as handle:
        stored = handle.read()
    assert b"PreviewTestCam" not in stored and b"secret comment" not in stored and stored != original
    assert preview.image.name.startswith("previews/") and "rack-photo" not in preview.image.name


def test_a_transparent_png_stays_a_png_without_metadata(work):
    preview = preview_of(upload(work, "chart.png", files.png_with_alpha()))
    image = stored_image(preview)
    assert (preview.image_type, image.format, image.mode, image.size) == ("image/png", "PNG", "RGBA", (640, 213))
    assert image.getpixel((630, 100))[3] == 0 and image.getpixel((5, 100))[3] == 255
    assert dict(image.getexif()) == {}


def test_a_decompression_bomb_is_refused_before_any_pixel_is_decoded(work, settings):
    bomb = files.png_bomb(8000)
    assert len(bomb) < 20_000  # a few kilobytes that would unpack to 64 million pixels
    started = time.monotonic()
    preview = preview_of(upload(work, "innocent.png", bomb))
    assert time.monotonic() - started < 5
    assert preview.status == "failed" and not preview.image
    assert "8000×8000 pixels" in preview.failure


def test_the_first_page_of_a_pdf_becomes_an_image(work):
    preview = preview_of(upload(work, "load-test-report.pdf", files.pdf_one_page()))
    assert (preview.status, preview.kind, preview.image_type) == ("ready", "image", "image/jpeg")
    image = stored_image(preview).convert("L")
    assert image.height == 640 and 440 < image.width < 470  # A4 portrait
    assert image.getpixel((image.width // 2, 20)) < 40  # the black bar across the top
    assert image.getpixel((image.width // 2, image.height - 20)) > 215  # white below


def test_a_corrupt_pdf_fails_cleanly(work):
    preview = preview_of(upload(work, "report.pdf", files.pdf_corrupt()))
    assert preview.status == "failed" and not preview.image
    assert preview.failure.startswith("The PDF's first page could not be drawn")


def test_a_renderer_that_hangs_is_stopped_at_the_time_limit(work, settings, tmp_path):
    # A stand-in for a PDF that makes pdftoppm loop: a program under that name that never ends.
    hanging = tmp_path / "pdftoppm"
    pid_file = tmp_path / "pid"
    hanging.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 60\n")
    hanging.chmod(hanging.stat().st_mode | stat.S_IEXEC)
    settings.PREVIEW_PDFTOPPM = str(hanging)
    settings.PREVIEW_PDF_TIMEOUT = 1
    started = time.monotonic()
    preview = preview_of(upload(work, "slow.pdf", files.pdf_one_page()))
    assert time.monotonic() - started < 10
    assert preview.status == "failed"
    assert preview.failure == "The PDF's first page took more than 1 s to draw."
    assert not os.path.exists(f"/proc/{pid_file.read_text().strip()}")  # killed and reaped


def test_a_python_file_is_highlighted_as_escaped_text(work, people, client_for):
    artifact = upload(work, "replay.py", files.PYTHON_SOURCE.encode())
    assert artifact.content_type == "text/x-python"
    preview = preview_of(artifact)
    lines = len(files.PYTHON_SOURCE.splitlines())
    assert (preview.status, preview.kind, preview.text_lines, preview.truncated) == ("ready", "text", lines, False)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert '<span class="hl-k">def</span>' in body
    assert "&lt;script&gt;alert" in body and '<script>alert("not here")' not in body
    assert 'role="region" aria-label="Start of replay.py"' in body


def test_a_long_text_shows_its_first_lines_and_bad_bytes_as_replacement_characters(work, settings):
    settings.PREVIEW_TEXT_LINES = 5
    log = "".join(f"line {n}: 200 OK\n" for n in range(200)).encode()
    preview = preview_of(upload(work, "access.log", log))
    assert (preview.text_lines, preview.truncated) == (5, True)
    assert "line 4:" in preview.text_html and "line 5:" not in preview.text_html
    # Not UTF-8 in storage (the upload check would refuse it): shown, never a crash.
    stored = default_storage.save("evidence/latin1.txt", io.BytesIO("café ± 3 ms\n".encode("latin-1")))
    artifact = Artifact.objects.create(
        work=work, kind="file", file=stored, original_name="latin1.txt", content_type="text/plain",
        size=12, proves="Bytes", uploaded_by=work.student,
    )  # fmt: skip
    built = previews.evidence_preview_build(artifact_id=artifact.pk)
    assert built.status == "ready" and "caf\ufffd" in built.text_html


def test_a_binary_pretending_to_be_text_gets_no_preview(work, people, client_for):
    stored = default_storage.save("evidence/fake.txt", io.BytesIO(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50))
    artifact = Artifact.objects.create(
        work=work, kind="file", file=stored, original_name="notes.txt", content_type="text/plain",
        size=500, proves="Notes", uploaded_by=work.student,
    )  # fmt: skip
    built = previews.evidence_preview_build(artifact_id=artifact.pk)
    assert built.status == "failed" and "not text" in built.failure and not built.text_html
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert (
        "No preview</span>" not in body
        and 'No preview: <span class="evidence-name">notes.txt</span> (text file)' in body
    )


def test_building_twice_keeps_one_thumbnail(work, media_root):
    artifact = upload(work, "chart.png", files.png_with_alpha())
    first = preview_of(artifact).image.name
    previews.evidence_preview_build(artifact_id=artifact.pk)
    assert preview_of(artifact).image.name == first
    assert [p.name for p in (media_root / "previews").iterdir()] == [first.split("/")[-1]]


def test_a_file_missing_from_storage_and_a_removed_artifact_never_raise(work):
    artifact = upload(work, "chart.png", files.png_with_alpha(), build=False)
    default_storage.delete(artifact.file.name)
    assert previews.evidence_preview_build(artifact_id=artifact.pk).failure == "The file is missing from storage."
    assert previews.evidence_preview_build(artifact_id=987654321) is None


def test_links_and_zip_archives_get_no_preview_row(work):
    link = services.artifact_add_link(work=work, url="https://example.com/run", proves="Run", by=work.student)
    assert not EvidencePreview.objects.filter(artifact=link).exists()
    assert previews.type_label("application/zip") == "ZIP archive"


# --- Pages ----------------------------------------------------------------------------------------


def test_the_workspace_shows_name_and_type_until_the_preview_is_built(work, people, client_for):
    artifact = upload(work, "rack-photo.jpg", files.jpeg_with_exif(), build=False)
    client = client_for(people.student)
    body = client.get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert 'Preview being prepared: <span class="evidence-name">rack-photo.jpg</span> (JPEG image)' in body
    previews.evidence_preview_build(artifact_id=artifact.pk)
    body = client.get(reverse("submissions:work", args=[work.pk])).content.decode()
    src = reverse("submissions:artifact_preview", args=[artifact.pk])
    assert f'<img class="evidence-thumb" src="{src}" width="427" height="640"' in body
    assert 'alt="Preview of rack-photo.jpg"' in body


def test_the_revision_and_scoring_pages_show_the_submitted_evidence_previews(work, people, client_for):
    pdf = upload(work, "report.pdf", files.pdf_one_page())
    upload(work, "replay.py", files.PYTHON_SOURCE.encode())
    revision = services.work_submit(work=work, by=people.student)
    for user, url in (
        (people.student, reverse("submissions:revision", args=[work.pk, revision.number])),
        (people.mentor, reverse("rubrics:score", args=[revision.pk])),
    ):
        body = client_for(user).get(url).content.decode()
        assert f'src="{reverse("submissions:artifact_preview", args=[pdf.pk])}"' in body, url
        assert 'alt="First page of report.pdf"' in body
        assert '<span class="hl-nf">p95</span>' in body


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),
        ("mentor", 200),
        ("instructor", 200),
        ("admin", 200),
        ("other_student", 404),
        ("unassigned_mentor", 404),
        ("foreign_mentor", 404),
        ("foreign_student", 404),
        ("foreign_instructor", 404),
        ("stranger", 404),
    ],
)
def test_the_thumbnail_follows_the_evidence_policy(work, people, client_for, who, status):
    artifact = upload(work, "rack-photo.jpg", files.jpeg_with_exif())
    response = client_for(getattr(people, who)).get(reverse("submissions:artifact_preview", args=[artifact.pk]))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["Cache-Control"] == "private, max-age=300"
        assert response["Content-Disposition"] == f'inline; filename="preview-{artifact.pk}.jpg"'
        body = b"".join(response.streaming_content)
        assert body.startswith(b"\xff\xd8") and b"PreviewTestCam" not in body


def test_anonymous_visitors_get_no_thumbnail(work, client_for):
    artifact = upload(work, "rack-photo.jpg", files.jpeg_with_exif())
    response = client_for(None).get(reverse("submissions:artifact_preview", args=[artifact.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_no_thumbnail_for_text_or_failed_previews(work, people, client_for):
    client = client_for(people.student)
    for name, data in (("replay.py", files.PYTHON_SOURCE.encode()), ("bomb.png", files.png_bomb(6000))):
        artifact = upload(work, name, data)
        assert client.get(reverse("submissions:artifact_preview", args=[artifact.pk])).status_code == 404


def test_the_revision_page_reads_previews_in_one_query_however_many_files(work, people, client_for):
    for n in range(2):
        upload(work, f"chart-{n}.png", files.png_with_alpha())
    small = services.work_submit(work=work, by=people.student)
    services.work_request_changes(work=work, revision=small, by=people.mentor)
    for n in range(20):
        upload(work, f"log-{n}.txt", f"run {n}: p95 41 ms\n".encode())
    large = services.work_submit(work=work, by=people.student)
    client = client_for(people.student)

    def count(revision) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("submissions:revision", args=[work.pk, revision.number])).status_code == 200
        assert sum("submissions_evidencepreview" in q["sql"] for q in queries.captured_queries) == 1
        return len(queries.captured_queries)

    assert count(small) == count(large)


def test_the_revision_page_query_budget_with_twenty_two_files(work, people, client_for, django_assert_num_queries):
    for n in range(22):
        upload(work, f"log-{n}.txt", f"run {n}\n".encode())
    revision = services.work_submit(work=work, by=people.student)
    client = client_for(people.student)
    # 1 session, 2 user, 3 work (+cohort, course, week, lab, latest revision), 4 the revision
    # (+submitted by), 5 revision numbers, 6 the revision's comment threads (feedback's REVISION
    # panel; none here, so nothing more), 7 the evidence previews of all 22 files, 8 navigation roles.
    with django_assert_num_queries(8):
        response = client.get(reverse("submissions:revision", args=[work.pk, revision.number]))
    assert response.content.decode().count('class="code-preview"') == 22


# --- Removal and erasure --------------------------------------------------------------------------


def test_removing_a_draft_file_deletes_its_thumbnail(work, media_root, django_capture_on_commit_callbacks):
    artifact = upload(work, "chart.png", files.png_with_alpha())
    name = preview_of(artifact).image.name
    with django_capture_on_commit_callbacks(execute=True):
        services.artifact_remove(artifact=artifact, by=work.student)
    assert not EvidencePreview.objects.filter(artifact_id=artifact.pk).exists()
    assert not default_storage.exists(name)


def test_erasing_a_learner_deletes_their_previews(work, people, django_capture_on_commit_callbacks):
    artifact = upload(work, "chart.png", files.png_with_alpha())
    services.work_submit(work=work, by=people.student)
    name = preview_of(artifact).image.name
    request = erasure_request(user=people.student, by=people.admin)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_execute(request_id=request.pk, now=request.due_at + datetime.timedelta(minutes=1))
    assert not EvidencePreview.objects.filter(artifact_id=artifact.pk).exists()
    assert not default_storage.exists(name)


# --- The public portfolio ---------------------------------------------------------------------------


@pytest.fixture
def published_photo(work, people):
    artifact = upload(work, "rack-photo.jpg", files.jpeg_with_exif(), build=False)
    revision = services.work_submit(work=work, by=people.student)
    services.work_accept(work=work, revision=revision, by=people.mentor)
    PortfolioFactory(user=people.student, slug="sam-builds", visibility="public")
    entry = portfolio_services.entry_publish(
        work=work, by=people.student, narrative="Racked and measured.", artifact_ids=[artifact.pk]
    )
    return artifact, entry


def test_the_public_page_shows_the_preview_once_built_although_it_was_cached(
    published_photo, client_for, django_capture_on_commit_callbacks
):
    artifact, entry = published_photo
    visitor = client_for(None)
    assert "Preview being prepared" in visitor.get("/p/sam-builds/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        previews.evidence_preview_build(artifact_id=artifact.pk)
    body = visitor.get("/p/sam-builds/").content.decode()
    proof = entry.proofs.get()
    src = reverse("portfolios:proof_preview", kwargs={"slug": "sam-builds", "pk": proof.pk})
    assert f'<img class="evidence-thumb" src="{src}"' in body
    response = visitor.get(src)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"
    again = visitor.get(src, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_a_public_preview_is_public_only_while_the_entry_is_published(published_photo, people, client_for):
    artifact, entry = published_photo
    previews.evidence_preview_build(artifact_id=artifact.pk)
    src = reverse("portfolios:proof_preview", kwargs={"slug": "sam-builds", "pk": entry.proofs.get().pk})
    assert client_for(None).get(src).status_code == 200
    portfolio_services.entry_unpublish(entry=entry, by=people.student)
    assert client_for(None).get(src).status_code == 404
    assert client_for(None).get(src.replace("sam-builds", "someone-else")).status_code == 404


def test_a_private_portfolios_preview_is_for_its_owner_and_mentor_only(published_photo, people, client_for):
    artifact, entry = published_photo
    previews.evidence_preview_build(artifact_id=artifact.pk)
    portfolio_services.portfolio_hide(portfolio=entry.portfolio, by=people.admin)
    src = reverse("portfolios:proof_preview", kwargs={"slug": "sam-builds", "pk": entry.proofs.get().pk})
    assert client_for(None).get(src).status_code == 404
    assert client_for(people.other_student).get(src).status_code == 404
    response = client_for(people.student).get(src)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
