"""Files on S3-compatible object storage (STORAGE_BACKEND=s3): evidence uploads, downloads
through the policy views, portfolio exports, report files, data archives and erasure, all
against a real S3 API (moto's server, a separate process on a free port). Nothing of it may
touch the local media directory: several web hosts share only the bucket."""

import datetime
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from botocore.response import StreamingBody
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.storage import open_for_download
from portfolios import services as portfolio_services
from privacy import services as privacy_services
from privacy.models import DataExport
from reports import services as report_services
from reports.models import ReportRun
from submissions import previews
from submissions import services as work_services
from submissions.models import Artifact, EvidencePreview
from tests.factories import PortfolioFactory
from tests.submissions import preview_files

from .object_store import ObjectStore

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
# Larger than one chunk of Django's FileResponse (4 KiB) many times over, so a download that
# arrives in one piece would show.
K6_LOG = "".join(f"{i:06d} GET /checkout 200 {i % 97} ms\n" for i in range(60_000)).encode()


def _settings_in_a_fresh_process(environment: dict[str, str]) -> dict:
    """STORAGES["default"] exactly as courseplatform/settings.py builds it from `environment`."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "courseplatform.settings", **environment})
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def store():
    store = ObjectStore()
    store.start()
    store.default_storage = _settings_in_a_fresh_process(store.environment())
    yield store
    store.stop()


@pytest.fixture(autouse=True)
def files_in_the_bucket(store, settings, tmp_path):
    """The default storage is the bucket; MEDIA_ROOT is an empty folder that must stay empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": store.default_storage}
    yield
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*")), "a file reached local disk"


@pytest.fixture
def work(people):
    return work_services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=2)
    )


def _upload(client, work, name: str, body: bytes):
    return client.post(
        reverse("submissions:artifact_upload", args=[work.pk]),
        {"file": SimpleUploadedFile(name, body), "proves": "p95 under 50 ms at 200 req/s"},
    )


def test_settings_build_a_private_s3_storage_from_the_environment(store):
    options = store.default_storage["OPTIONS"]
    assert store.default_storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["bucket_name"] == store.bucket
    assert options["endpoint_url"] == store.endpoint_url
    assert options["addressing_style"] == "path"
    assert options["default_acl"] == "private"
    assert options["file_overwrite"] is False


def test_an_upload_through_the_workspace_is_stored_in_the_bucket(store, work, people, client_for):
    before = set(store.keys())
    response = _upload(client_for(people.student), work, "k6-run.log", K6_LOG)
    assert response.status_code in (200, 302), response.content[:500]
    artifact = Artifact.objects.get(work=work)
    assert set(store.keys()) - before == {artifact.file.name}
    assert store.read(artifact.file.name) == K6_LOG


def test_the_download_is_streamed_from_the_bucket_as_a_safe_attachment(store, work, people, client_for):
    _upload(client_for(people.student), work, "k6-run.log", K6_LOG)
    artifact = Artifact.objects.get(work=work)
    response = client_for(people.student).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response.status_code == 200
    assert response.streaming
    chunks = list(response.streaming_content)
    assert b"".join(chunks) == K6_LOG
    assert len(chunks) > 10
    assert response["Content-Length"] == str(len(K6_LOG))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="k6-run.log"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("student", 200),
        ("other_student", 404),
        ("mentor", 200),
        ("foreign_mentor", 404),
        ("instructor", 200),
        ("admin", 200),
    ],
)
def test_the_download_from_the_bucket_asks_the_policy_for_each_role(store, work, people, client_for, role, status):
    _upload(client_for(people.student), work, "k6-run.log", b"p95=41ms\n")
    artifact = Artifact.objects.get(work=work)
    user = None if role == "anonymous" else getattr(people, role)
    response = client_for(user).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == b"p95=41ms\n"


def test_an_object_gone_from_the_bucket_is_a_404_not_a_500(store, work, people, client_for):
    _upload(client_for(people.student), work, "k6-run.log", b"p95=41ms\n")
    artifact = Artifact.objects.get(work=work)
    store.client().delete_object(Bucket=store.bucket, Key=artifact.file.name)
    response = client_for(people.student).get(reverse("submissions:artifact_download", args=[artifact.pk]))
    assert response.status_code == 404


def test_the_portfolio_export_zips_the_evidence_read_from_the_bucket(store, work, people, client_for):
    _upload(client_for(people.student), work, "k6-run.log", K6_LOG)
    work_services.work_save_draft(
        work=work, content={"concept": {"text": "Concept"}}, expected_version=work.draft_version, by=people.student
    )
    revision = work_services.work_submit(work=work, by=people.student)
    work_services.work_accept(work=work, revision=revision, by=people.mentor)
    PortfolioFactory(user=people.student, slug="sam-on-s3", display_name="Sam")
    portfolio_services.entry_publish(
        work=work,
        by=people.student,
        narrative="Load-tested checkout",
        artifact_ids=list(revision.artifacts.values_list("pk", flat=True)),
    )
    response = client_for(people.student).get(reverse("portfolios:export_zip"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    files = [name for name in archive.namelist() if name.startswith("artifacts/")]
    assert [archive.read(name) for name in files] == [K6_LOG]


def test_a_report_file_is_written_to_the_bucket_and_downloaded_from_it(store, people, client_for):
    run = report_services.report_request(
        kind=ReportRun.Kind.COHORT,
        fmt=ReportRun.Format.CSV,
        cohort=people.cohort,
        by=people.instructor,
        enqueue_build=False,
    )
    report_services.report_build(run=run)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.SUCCEEDED
    assert run.file.name in store.keys()
    response = client_for(people.instructor).get(reverse("reports:download", args=[run.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == store.read(run.file.name)
    assert response["Content-Disposition"].startswith("attachment;")
    assert client_for(people.student).get(reverse("reports:download", args=[run.pk])).status_code == 404


def test_erasure_deletes_the_persons_objects_from_the_bucket_and_only_theirs(
    store, work, people, client_for, django_capture_on_commit_callbacks
):
    _upload(client_for(people.student), work, "k6-run.log", b"mine\n")
    classmate_work = work_services.work_get_or_create(
        student=people.other_student, cohort=people.cohort, week=work.week
    )
    _upload(client_for(people.other_student), classmate_work, "theirs.log", b"theirs\n")
    report = report_services.report_request(
        kind=ReportRun.Kind.STUDENT,
        fmt=ReportRun.Format.CSV,
        cohort=people.cohort,
        student=people.student,
        by=people.instructor,
        enqueue_build=False,
    )
    report_services.report_build(run=report)
    export = privacy_services.export_request(user=people.student, by=people.student, enqueue_build=False)
    privacy_services.export_build(export=export)
    export.refresh_from_db()
    report.refresh_from_db()
    own_keys = {Artifact.objects.get(work=work).file.name, report.file.name, export.file.name}
    theirs = Artifact.objects.get(work=classmate_work).file.name
    assert export.status == DataExport.Status.SUCCEEDED
    assert own_keys | {theirs} <= set(store.keys())

    people.student.set_password(PASSWORD)
    people.student.save(update_fields=["password"])
    with django_capture_on_commit_callbacks(execute=True):
        request = privacy_services.erasure_request(user=people.student, by=people.student, password=PASSWORD)
    later = timezone.now() + privacy_services.grace_period() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert privacy_services.erasures_run_due(now=later) == [request.pk]

    remaining = set(store.keys())
    assert not own_keys & remaining
    assert theirs in remaining


def test_an_upload_while_the_object_store_is_away_answers_503_and_keeps_nothing(
    store, work, people, client_for, settings
):
    away = ObjectStore()  # a store that was never started: its endpoint refuses connections
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **store.default_storage,
            "OPTIONS": {**store.default_storage["OPTIONS"], "endpoint_url": away.endpoint_url},
        },
    }
    response = _upload(client_for(people.student), work, "k6-run.log", b"p95=41ms\n")
    assert response.status_code == 503
    assert "file storage is unavailable right now" in response.content.decode()
    assert not Artifact.objects.filter(work=work).exists()


def test_a_download_hands_on_the_buckets_own_response_body(store, work, people, client_for):
    _upload(client_for(people.student), work, "k6-run.log", K6_LOG)
    artifact = Artifact.objects.get(work=work)
    handle, size = open_for_download(artifact.file)
    # Read as it arrives from the bucket, never copied whole into this process first.
    assert isinstance(handle, StreamingBody)
    assert size == len(K6_LOG)
    assert handle.read(10) == K6_LOG[:10]
    handle.close()


def test_evidence_previews_are_built_from_and_stored_in_the_bucket(store, work, people, client_for):
    client = client_for(people.student)
    _upload(client, work, "rack-photo.jpg", preview_files.jpeg_with_exif())
    _upload(client, work, "report.pdf", preview_files.pdf_one_page())
    for artifact in Artifact.objects.filter(work=work):
        previews.evidence_preview_build(artifact_id=artifact.pk)  # what the worker runs
    built = {p.artifact.original_name: p for p in EvidencePreview.objects.select_related("artifact")}
    assert {name: p.status for name, p in built.items()} == {"rack-photo.jpg": "ready", "report.pdf": "ready"}
    for preview in built.values():
        assert preview.image.name in store.keys() and preview.image.name.startswith("previews/")
        response = client.get(reverse("submissions:artifact_preview", args=[preview.artifact_id]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert b"".join(response.streaming_content) == store.read(preview.image.name)
