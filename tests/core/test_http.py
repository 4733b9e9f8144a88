"""The one safe attachment response (core.http.attachment_response), and the downloads that
use it: every caller sends the same headers, and a file gone from storage is a 404."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse

from core.http import attachment_response
from reports.models import ReportRun
from reports.services import report_build, report_request
from submissions import services as submission_services
from tests.factories import WeeklyWorkFactory

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


def _headers(response, names) -> dict:
    return {name: response[name] for name in names}


def test_helper_sends_an_attachment_with_nosniff_sandbox_and_no_store():
    response = attachment_response(io.BytesIO(b"<script>x</script>"), filename="a.txt", content_type="text/plain")
    assert _headers(response, SAFE_HEADERS) == SAFE_HEADERS
    assert response["Content-Disposition"] == 'attachment; filename="a.txt"'
    assert response["Content-Type"] == "text/plain"


def test_helper_lets_a_report_keep_inline_styles_and_a_caller_choose_caching():
    response = attachment_response(
        io.BytesIO(b"<style>p{}</style>"),
        filename="r.html",
        content_type="text/html",
        cache_control="public, max-age=0, must-revalidate",
        inline_styles=True,
    )
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    assert response["Cache-Control"] == "public, max-age=0, must-revalidate"


@pytest.mark.django_db
def test_evidence_download_and_reviewer_download_send_the_same_safe_headers(people, client_for, media_root):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    artifact = submission_services.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("notes.txt", b"p95=41ms\n", content_type="text/plain"),
        proves="Latency",
        by=people.student,
    )
    revision = submission_services.work_submit(work=work, by=people.student, expected_version=work.draft_version)
    own = client_for(people.student).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    reviewer = client_for(people.mentor).get(reverse("rubrics:artifact", args=[revision.pk, artifact.pk]))
    for response in (own, reviewer):
        assert response.status_code == 200
        assert _headers(response, SAFE_HEADERS) == SAFE_HEADERS
        assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
        assert b"".join(response.streaming_content) == b"p95=41ms\n"


@pytest.mark.django_db
def test_evidence_missing_from_storage_is_404_not_500(people, client_for, media_root):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    artifact = submission_services.artifact_upload(
        work=work,
        upload=SimpleUploadedFile("notes.txt", b"x\n", content_type="text/plain"),
        proves="Latency",
        by=people.student,
    )
    artifact.file.storage.delete(artifact.file.name)
    response = client_for(people.student).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response.status_code == 404


@pytest.fixture
def report(people, media_root):
    run = report_request(
        kind=ReportRun.Kind.STUDENT,
        fmt=ReportRun.Format.CSV,
        cohort=people.cohort,
        student=people.student,
        by=people.student,
        enqueue_build=False,
    )
    return report_build(run=run)


@pytest.mark.django_db
def test_report_page_and_api_downloads_send_the_same_safe_headers(people, client_for, report):
    page = client_for(people.student).get(reverse("reports:download", args=[report.pk]))
    api = client_for(people.student).get(f"/api/v1/reports/{report.pk}/download/")
    expected = {**SAFE_HEADERS, "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'"}
    for response in (page, api):
        assert response.status_code == 200
        assert _headers(response, expected) == expected
        assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_report_file_missing_from_storage_is_404_on_page_and_api(people, client_for, report):
    report.file.storage.delete(report.file.name)
    client = client_for(people.student)
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404
    api = client.get(f"/api/v1/reports/{report.pk}/download/")
    assert api.status_code == 404
    assert api["Content-Type"] == "application/problem+json"


def test_helper_turns_a_file_missing_from_storage_into_404(tmp_path):
    from django.core.files.storage import FileSystemStorage
    from django.db.models.fields.files import FieldFile

    class _Field:
        storage = FileSystemStorage(location=tmp_path)

    stored = FieldFile(instance=None, field=_Field(), name="gone.txt")
    with pytest.raises(Http404):
        attachment_response(stored, filename="gone.txt", content_type="text/plain")


@pytest.mark.django_db
def test_a_streamed_gradebook_csv_gets_the_same_safe_headers(people, client_for):
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    assert response.status_code == 200
    assert _headers(response, SAFE_HEADERS) == SAFE_HEADERS
    assert (
        response["Content-Disposition"].startswith('attachment; filename="')
        and ".csv" in response["Content-Disposition"]
    )
