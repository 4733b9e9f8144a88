"""The data archive: every category, files byte-identical, nobody else's data, anonymous
peers kept anonymous; built by the real task and served only to whom it belongs."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from privacy import services
from privacy.models import DataExport
from rubrics.models import ObjectiveJudgement

from .conftest import EMAIL, EVIDENCE_BYTES, NAME


def _archive(export: DataExport) -> tuple[zipfile.ZipFile, str]:
    export.refresh_from_db()
    assert export.status == DataExport.Status.SUCCEEDED, export.error
    with export.file.open("rb") as handle:
        data = handle.read()
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = archive.namelist()[0].split("/")[0]
    return archive, root


def _json(archive: zipfile.ZipFile, root: str, name: str):
    return json.loads(archive.read(f"{root}/{name}"))


@pytest.fixture
def built(learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(user=learner.student, by=learner.student)
    return _archive(export)


def test_the_archive_holds_every_category_with_a_readme(learner, built):
    archive, root = built
    names = {name.split("/", 1)[1] for name in archive.namelist()}
    for expected in (
        "README.md",
        "manifest.json",
        "profile.json",
        "cohorts.json",
        "work.json",
        "risk_log.json",
        "retrospectives.json",
        "feedback.json",
        "portfolio.json",
        "credentials.json",
        "notifications.json",
        "reports.json",
        "privacy.json",
    ):
        assert expected in names, expected
    assert _json(archive, root, "profile.json")["email"] == EMAIL
    work = _json(archive, root, "work.json")
    assert [r["number"] for r in work[0]["revisions"]] == [1]
    assert work[0]["revisions"][0]["content"]["decision"]["decision"]
    assert {e["kind"] for e in work[0]["evidence"]} == {"file", "link"}
    assert _json(archive, root, "risk_log.json")[0]["title"] == "Cache stampede risk"
    assert _json(archive, root, "retrospectives.json")[0]["retain"] == "Measure first"
    assert _json(archive, root, "portfolio.json")["slug"] == "samantha-l"
    assert _json(archive, root, "portfolio.json")["entries"][0]["narrative"].startswith("Cut checkout")
    assert _json(archive, root, "notifications.json")["messages"][0]["title"] == "Your work was accepted"
    assert _json(archive, root, "reports.json")[0]["about_you"] is True
    readme = archive.read(f"{root}/README.md").decode()
    assert "feedback.json" in readme and "evidence/" in readme


def test_evidence_files_are_byte_identical_and_in_the_manifest(learner, built):
    archive, root = built
    path = f"evidence/{learner.artifact.pk}-k6 summary.txt"
    assert archive.read(f"{root}/{path}") == EVIDENCE_BYTES
    manifest = {f["path"]: f for f in _json(archive, root, "manifest.json")["files"]}
    assert manifest[path]["sha256"] == learner.artifact.sha256
    assert manifest[path]["size"] == len(EVIDENCE_BYTES)


def test_another_students_data_is_absent(learner, built):
    archive, root = built
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"classmate secret evidence" not in everything
    assert learner.classmate.email.encode() not in everything
    assert learner.classmate.display_name.encode() not in everything
    assert not any("classmate.txt" in name for name in archive.namelist())


def test_anonymous_peers_stay_anonymous_both_ways(learner, built):
    archive, root = built
    feedback = _json(archive, root, "feedback.json")
    received = feedback["received"][0]["assessments"]
    peer = [a for a in received if a["kind"] == "peer"]
    assert [a["reviewer"] for a in peer] == ["Peer reviewer 1"]
    mentor = [a for a in received if a["kind"] == "mentor"]
    assert mentor[0]["reviewer"] == learner.mentor.display_name
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert learner.peer_review.scorer.email.encode() not in everything
    assert learner.peer_review.scorer.display_name.encode() not in everything
    given = feedback["given"]
    assert [(g["kind"], g["author"], g["feedback"]) for g in given] == [("peer", "a classmate", "Nice index choice.")]


def test_progress_is_recorded_and_the_archive_expires(learner, built, settings):
    export = DataExport.objects.get(user=learner.student)
    assert (export.progress, export.phase) == (100, "Ready")
    assert (export.expires_at - export.finished_at).days == settings.PRIVACY_EXPORT_KEEP_DAYS
    assert export.size == export.file.size > 0


def test_a_second_export_is_refused_while_one_is_being_built(learner):
    services.export_request(user=learner.student, by=learner.student)  # not run: no commit here
    with pytest.raises(Exception, match="already being built"):
        services.export_request(user=learner.student, by=learner.student)


def test_a_missing_evidence_file_is_listed_in_the_readme_not_a_failure(learner, django_capture_on_commit_callbacks):
    learner.artifact.file.storage.delete(learner.artifact.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(user=learner.student, by=learner.student)
    archive, root = _archive(export)
    assert "could not be included" in archive.read(f"{root}/README.md").decode()


# --- Pages and permissions ------------------------------------------------------------------


def test_the_profile_page_links_to_the_data_page(learner, client_for):
    response = client_for(learner.student).get(reverse("accounts:profile"))
    assert reverse("privacy:home") in response.content.decode()


def test_the_learner_requests_follows_and_downloads_their_archive(
    learner, client_for, django_capture_on_commit_callbacks
):
    client = client_for(learner.student)
    page = client.get(reverse("privacy:home"))
    assert page.status_code == 200 and "Build an archive" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy:export_create"))
    export = DataExport.objects.get(user=learner.student)
    assert response.url == reverse("privacy:export", args=[export.pk])
    assert "Download the archive" in client.get(response.url).content.decode()
    status = client.get(reverse("privacy:export_status", args=[export.pk])).json()
    assert (status["status"], status["progress"], status["finished"]) == ("succeeded", 100, True)
    download = client.get(reverse("privacy:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    body = b"".join(download.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(body)).testzip() is None


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("student", 200),
        ("admin", 200),
        ("classmate", 404),
        ("mentor", 404),
        ("instructor", 404),
        ("anonymous", 302),
    ],
)
def test_who_may_see_and_download_an_archive(
    learner, client_for, people, who, status, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services.export_request(user=learner.student, by=learner.student)
    user = {
        "student": learner.student,
        "admin": people.admin,
        "classmate": learner.classmate,
        "mentor": learner.mentor,
        "instructor": people.instructor,
        "anonymous": None,
    }[who]
    client = client_for(user)
    for name in ("privacy:export", "privacy:export_status", "privacy:export_download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == status, name


def test_an_admin_builds_an_archive_for_a_person_and_others_cannot(learner, people, client_for):
    url = reverse("privacy:person_export_create", args=[learner.student.pk])
    assert client_for(people.instructor).post(url).status_code == 404
    assert client_for(learner.classmate).post(url).status_code == 404
    assert not DataExport.objects.exists()
    response = client_for(people.admin).post(url)
    export = DataExport.objects.get()
    assert (export.user, export.requested_by) == (learner.student, people.admin)
    assert response.url == reverse("privacy:export", args=[export.pk])


def test_the_data_page_never_writes_on_get(learner, client_for):
    client_for(learner.student).get(reverse("privacy:home"))
    assert not DataExport.objects.exists()


def test_name_is_in_the_fixture(learner):
    assert learner.student.name == NAME


def test_the_data_page_costs_a_fixed_number_of_queries(learner, client_for, django_assert_num_queries):
    from tests.factories import DataExportFactory, ErasureRequestFactory

    for _ in range(3):
        DataExportFactory(user=learner.student, status=DataExport.Status.SUCCEEDED)
    ErasureRequestFactory(user=learner.student, status="cancelled")
    client = client_for(learner.student)
    client.get(reverse("privacy:home"))  # warm the session
    # 1 session, 2 user, 3 the open erasure request, 4 the navigation's roles (one EXISTS
    # per role), 5 the archives (with who asked), 6 the earlier erasure requests.
    with django_assert_num_queries(6):
        client.get(reverse("privacy:home"))
    for _ in range(3):
        DataExportFactory(user=learner.student, status=DataExport.Status.FAILED)
    with django_assert_num_queries(6):  # more archives, no more queries
        client.get(reverse("privacy:home"))


def test_the_objective_judgements_of_the_learners_weeks_are_exported(learner, built):
    archive, root = built
    exported = _json(archive, root, "feedback.json")["objective_judgements"]
    stored = ObjectiveJudgement.objects.filter(work__student=learner.student).order_by("objective__order")
    assert len(exported) == stored.count() > 0
    assert [(j["objective"], j["met"]) for j in exported] == [(j.objective.text, j.met) for j in stored]
