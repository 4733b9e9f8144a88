"""A person's data through the API: build, follow and download an archive; schedule and
cancel an erasure; nobody else's archive or request is reachable."""

import io
import zipfile

import pytest

from privacy.models import DataExport, ErasureRequest
from tests.factories import DataExportFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_a_person_builds_follows_and_downloads_their_archive(people, bearer_client, django_capture_on_commit_callbacks):
    client = bearer_client(people.student)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/api/v1/me/exports/")
    assert created.status_code == 201, created.content
    export_id = created.json()["id"]
    shown = client.get(f"/api/v1/me/exports/{export_id}/").json()
    assert (shown["status"], shown["progress"], shown["finished"]) == ("succeeded", 100, True)
    download = client.get(shown["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert any(name.endswith("/profile.json") for name in archive.namelist())
    listed = client.get("/api/v1/me/exports/").json()
    assert [e["id"] for e in listed["results"]] == [export_id]


def test_a_second_archive_while_one_is_building_is_a_400_problem(people, bearer_client):
    DataExportFactory(user=people.student)
    response = bearer_client(people.student).post("/api/v1/me/exports/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("who", ["other_student", "mentor", "instructor"])
def test_someone_elses_archive_is_404(people, bearer_client, who):
    export = DataExportFactory(user=people.student)
    client = bearer_client(getattr(people, who))
    assert client.get(f"/api/v1/me/exports/{export.pk}/").status_code == 404
    assert client.get(f"/api/v1/me/exports/{export.pk}/download/").status_code == 404
    assert client.get("/api/v1/me/exports/").json()["results"] == []


def test_an_unfinished_archive_has_no_download(people, bearer_client):
    export = DataExportFactory(user=people.student)
    assert bearer_client(people.student).get(f"/api/v1/me/exports/{export.pk}/download/").status_code == 404


def test_anonymous_callers_are_refused(people, bearer_client):
    assert bearer_client(None).get("/api/v1/me/exports/").status_code in (401, 403)


def test_erasure_needs_the_password_and_can_be_cancelled(people, bearer_client):
    people.student.set_password(PASSWORD)
    people.student.save(update_fields=["password"])
    client = bearer_client(people.student)
    wrong = client.post("/api/v1/me/erasure-requests/", {"password": "nope"}, content_type="application/json")
    assert wrong.status_code == 400 and "password" in wrong.content.decode()
    assert client.post("/api/v1/me/erasure-requests/", {}, content_type="application/json").status_code == 400
    created = client.post("/api/v1/me/erasure-requests/", {"password": PASSWORD}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["can_be_cancelled"]) == ("scheduled", True)
    assert (
        bearer_client(people.other_student).post(f"/api/v1/me/erasure-requests/{body['id']}/cancel/").status_code == 404
    )
    cancelled = client.post(f"/api/v1/me/erasure-requests/{body['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert ErasureRequest.objects.get().status == ErasureRequest.Status.CANCELLED
    assert not DataExport.objects.exists()
