"""The workspace over the API (submissions/api.py): weekly work and its draft, revisions and
diffs, evidence artifacts. Roles × operations are walked by test_contract.py; these tests
pin the behaviour and the query counts of the lists."""

import base64
import datetime
import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from cohorts.models import Membership
from curriculum.models import Objective, QualityGate
from submissions import services
from submissions.models import Artifact, Revision, RiskEntry, WeeklyWork
from submissions.serializers import WorkOutput
from tests.factories import MembershipFactory, MentorAssignmentFactory, WeeklyWorkFactory

pytestmark = pytest.mark.django_db

PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def work(people):
    """people.student's draft for week 20 (due in 2027, so submitting is not late)."""
    week = people.cohort.course.weeks.get(number=20)
    return services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)


@pytest.fixture
def api(bearer_client):
    """A token client per person, created once per test."""
    clients = {}

    def make(user):
        if user.pk not in clients:
            clients[user.pk] = bearer_client(user)
        return clients[user.pk]

    return make


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _submit(work, people) -> Revision:
    return services.work_submit(work=work, by=people.student)


def _png(name="latency-chart.png", body=PNG_BYTES):
    return SimpleUploadedFile(name, body, content_type="image/png")


# --- works ---------------------------------------------------------------------------------


def test_works_list_shows_what_each_role_may_see(people, api):
    mine = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    theirs = WeeklyWorkFactory(cohort=people.cohort, student=people.other_student)
    foreign = WeeklyWorkFactory(cohort=people.other_cohort, student=people.foreign_student)
    assert _ids(api(people.student).get("/api/v1/works/")) == {mine.pk}
    assert _ids(api(people.other_student).get("/api/v1/works/")) == {theirs.pk}
    assert _ids(api(people.mentor).get("/api/v1/works/")) == {mine.pk, theirs.pk}
    assert _ids(api(people.unassigned_mentor).get("/api/v1/works/")) == set()
    assert _ids(api(people.instructor).get("/api/v1/works/")) == {mine.pk, theirs.pk}
    assert _ids(api(people.foreign_mentor).get("/api/v1/works/")) == {foreign.pk}
    assert _ids(api(people.stranger).get("/api/v1/works/")) == set()
    assert _ids(api(people.admin).get("/api/v1/works/")) == {mine.pk, theirs.pk, foreign.pk}


def test_works_list_filters_by_cohort_and_state(people, api, work):
    other = WeeklyWorkFactory(cohort=people.cohort, student=people.other_student)
    _submit(work, people)
    client = api(people.instructor)
    assert _ids(client.get("/api/v1/works/", {"state": "submitted"})) == {work.pk}
    assert _ids(client.get("/api/v1/works/", {"state": "draft"})) == {other.pk}
    assert _ids(client.get("/api/v1/works/", {"cohort": people.other_cohort.slug})) == set()
    assert _ids(client.get("/api/v1/works/", {"cohort": people.cohort.slug})) == {work.pk, other.pk}


def test_works_list_rejects_an_unknown_state(people, api):
    response = api(people.student).get("/api/v1/works/", {"state": "lost"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "state"


def test_opening_a_week_twice_returns_the_same_work(people, api):
    client = api(people.student)
    first = client.post("/api/v1/works/", {"cohort": people.cohort.slug, "week": 3}, content_type="application/json")
    again = client.post("/api/v1/works/", {"cohort": people.cohort.slug, "week": 3}, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert WeeklyWork.objects.filter(student=people.student).count() == 1


def test_opening_a_capstone_deliverable(people, api):
    deliverable = people.cohort.course.capstone_projects.first().deliverables.first()
    response = api(people.student).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "deliverable": deliverable.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["deliverable"] == deliverable.pk
    assert response.json()["week"] is None


def test_opening_needs_exactly_one_target(people, api):
    response = api(people.student).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "week": 3, "deliverable": 1}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] is None


def test_opening_a_week_the_course_lacks_is_a_field_error(people, api):
    response = api(people.student).post(
        "/api/v1/works/", {"cohort": people.cohort.slug, "week": 99}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "week"


def test_work_detail_carries_the_draft_sections(people, api, work):
    body = api(people.student).get(f"/api/v1/works/{work.pk}/").json()
    assert body["can_edit"] is True
    assert set(body["content"]) == {"concept", "lab", "decision", "dossier", "deliverable", "revision_note"}
    assert api(people.mentor).get(f"/api/v1/works/{work.pk}/").json()["can_edit"] is False


def test_another_student_cannot_see_the_work(people, api, work):
    assert api(people.other_student).get(f"/api/v1/works/{work.pk}/").status_code == 404


def test_saving_the_draft_raises_its_version_and_keeps_other_sections(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/"
    first = {"draft_version": 1, "content": {"decision": {"decision": "Add a covering index."}}}
    assert client.patch(url, first, content_type="application/json").status_code == 200
    second = {"draft_version": 2, "content": {"concept": {"text": "Latency is queueing."}}}
    response = client.patch(url, second, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["draft_version"] == 3
    assert body["content"]["concept"]["text"] == "Latency is queueing."
    assert body["content"]["decision"]["decision"] == "Add a covering index."


def _error_fields(response) -> list[str]:
    assert response.status_code == 400, response.content
    return [error["field"] for error in response.json()["errors"]]


def test_an_unknown_section_is_a_field_error(people, api, work):
    client = api(people.student)
    body = {"draft_version": 1, "content": {"nosuch": {"text": "a"}, "concept": {"text": "kept?"}}}
    response = client.patch(f"/api/v1/works/{work.pk}/", body, content_type="application/json")
    assert _error_fields(response) == ["content.nosuch"]
    work.refresh_from_db()
    assert work.draft_version == 1


def test_an_unknown_field_inside_a_section_is_a_field_error(people, api, work):
    body = {"draft_version": 1, "content": {"concept": {"txt": "typo"}}}
    response = api(people.student).patch(f"/api/v1/works/{work.pk}/", body, content_type="application/json")
    assert _error_fields(response) == ["content.concept.txt"]


def test_the_content_read_can_be_saved_back_unchanged(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/"
    read = client.get(url).json()
    response = client.patch(url, {"draft_version": 1, "content": read["content"]}, content_type="application/json")
    assert response.status_code == 200, response.content


def test_weekly_work_has_no_deliverable_section_and_capstone_work_no_concept(people, api, work):
    client = api(people.student)
    weekly = {"draft_version": 1, "content": {"deliverable": {"text": "Memo"}}}
    assert _error_fields(client.patch(f"/api/v1/works/{work.pk}/", weekly, content_type="application/json")) == [
        "content.deliverable"
    ]
    deliverable = people.cohort.course.capstone_projects.first().deliverables.first()
    capstone = services.work_get_or_create(student=people.student, cohort=people.cohort, deliverable=deliverable)
    body = {"draft_version": 1, "content": {"concept": {"text": "Not here"}, "deliverable": {"text": "Memo"}}}
    response = client.patch(f"/api/v1/works/{capstone.pk}/", body, content_type="application/json")
    assert _error_fields(response) == ["content.concept"]
    body = {"draft_version": 1, "content": {"deliverable": {"text": "Memo"}}}
    assert client.patch(f"/api/v1/works/{capstone.pk}/", body, content_type="application/json").status_code == 200


def test_saving_a_stale_draft_version_is_a_409_conflict(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/"
    client.patch(url, {"draft_version": 1, "content": {"concept": {"text": "Tab A"}}}, content_type="application/json")
    response = client.patch(
        url, {"draft_version": 1, "content": {"concept": {"text": "Tab B"}}}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "conflict"
    work.refresh_from_db()
    assert work.content["concept"]["text"] == "Tab A"


def test_saving_submitted_work_is_a_409_not_editable(people, api, work):
    _submit(work, people)
    response = api(people.student).patch(
        f"/api/v1/works/{work.pk}/", {"draft_version": 1, "content": {}}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"


def test_a_mentor_cannot_save_the_students_draft(people, api, work):
    response = api(people.mentor).patch(
        f"/api/v1/works/{work.pk}/", {"draft_version": 1, "content": {}}, content_type="application/json"
    )
    assert response.status_code == 403


def test_an_unknown_gate_status_is_a_field_error(people, api, work):
    body = {"draft_version": 1, "content": {"lab": {"gates": {"1": {"status": "skipped"}}}}}
    response = api(people.student).patch(f"/api/v1/works/{work.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "content.lab.gates.1.status"


def test_gates_and_objectives_must_be_the_weeks_own(people, api, work):
    client = api(people.student)
    gate = QualityGate.objects.filter(lab__week=work.week).first()
    foreign_gate = QualityGate.objects.exclude(lab__week=work.week).first()
    objective = Objective.objects.filter(week=work.week, kind="outcome").first()
    good = {"concept": {"objective_ids": [objective.pk]}, "lab": {"gates": {str(gate.pk): {"status": "passed"}}}}
    assert (
        client.patch(f"/api/v1/works/{work.pk}/", {"draft_version": 1, "content": good}, "application/json").status_code
        == 200
    )
    bad = {"lab": {"gates": {str(foreign_gate.pk): {"status": "passed"}}}}
    response = client.patch(f"/api/v1/works/{work.pk}/", {"draft_version": 2, "content": bad}, "application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "content.lab.gates"


def test_a_read_only_token_cannot_save(people, bearer_client, work):
    client = bearer_client(people.student, scope="read")
    response = client.patch(f"/api/v1/works/{work.pk}/", {"draft_version": 1, "content": {}}, "application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "token_read_only"


# --- revisions -----------------------------------------------------------------------------


def test_submit_with_the_same_idempotency_key_is_replayed(people, api, work):
    client = api(people.student)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/v1/works/{work.pk}/revisions/"
    first = client.post(url, {"draft_version": 1}, content_type="application/json", headers=headers)
    again = client.post(url, {"draft_version": 1}, content_type="application/json", headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Revision.objects.filter(work=work).count() == 1


def test_submit_with_a_stale_draft_version_is_a_409_conflict(people, api, work):
    services.work_save_draft(work=work, content={}, expected_version=1, by=people.student)
    response = api(people.student).post(
        f"/api/v1/works/{work.pk}/revisions/", {"draft_version": 1}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert not Revision.objects.filter(work=work).exists()


def test_a_revision_keeps_its_frozen_content(people, api, work):
    services.work_save_draft(work=work, content={"concept": {"text": "First"}}, expected_version=1, by=people.student)
    revision = _submit(work, people)
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    work.refresh_from_db()
    services.work_save_draft(work=work, content={"concept": {"text": "Second"}}, expected_version=2, by=people.student)
    body = api(people.mentor).get(f"/api/v1/works/{work.pk}/revisions/1/").json()
    assert body["number"] == 1
    assert body["content"]["concept"]["text"] == "First"


def test_the_diff_compares_two_revisions(people, api, work):
    services.work_save_draft(
        work=work, content={"concept": {"text": "Old idea"}}, expected_version=1, by=people.student
    )
    revision = _submit(work, people)
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    work.refresh_from_db()
    services.work_save_draft(
        work=work, content={"concept": {"text": "New idea"}}, expected_version=2, by=people.student
    )
    _submit(work, people)
    body = api(people.instructor).get(f"/api/v1/works/{work.pk}/revisions/diff/", {"from": 1, "to": 2}).json()
    assert (body["from"], body["to"]) == (1, 2)
    changed = [s for s in body["sections"] if s["changed"]]
    assert {"op": "insert", "text": "New"} in changed[0]["inline"]
    default = api(people.instructor).get(f"/api/v1/works/{work.pk}/revisions/diff/").json()
    assert (default["from"], default["to"]) == (1, 2)


def test_the_diff_of_an_unknown_revision_is_404(people, api, work):
    _submit(work, people)
    response = api(people.student).get(f"/api/v1/works/{work.pk}/revisions/diff/", {"from": 1, "to": 7})
    assert response.status_code == 404


# --- artifacts -----------------------------------------------------------------------------


def test_upload_stores_a_checked_file(people, api, work):
    response = api(people.student).post(
        f"/api/v1/works/{work.pk}/artifacts/", {"file": _png(), "proves": "p95 under 50 ms"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["name"], body["content_type"]) == ("file", "latency-chart.png", "image/png")
    assert Artifact.objects.get(pk=body["id"]).sha256 == body["sha256"]


def test_upload_refuses_a_file_whose_name_lies_about_its_content(people, api, work):
    fake = _png(body=b"<html><body><script>alert(document.cookie)</script></body></html>")
    response = api(people.student).post(f"/api/v1/works/{work.pk}/artifacts/", {"file": fake, "proves": "Chart"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "file"
    assert not Artifact.objects.exists()


def test_upload_refuses_an_oversized_file(people, api, work, settings):
    settings.UPLOAD_MAX_BYTES = 10
    response = api(people.student).post(f"/api/v1/works/{work.pk}/artifacts/", {"file": _png(), "proves": "Chart"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_upload_refuses_an_evidence_item_the_lab_does_not_require(people, api, work):
    response = api(people.student).post(
        f"/api/v1/works/{work.pk}/artifacts/", {"file": _png(), "proves": "Chart", "evidence_item": "Made up"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "evidence_item"


def test_add_link_accepts_only_http_links(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/artifacts/links/"
    refused = client.post(url, {"url": "ftp://example.com/trace", "proves": "Trace"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "url"
    added = client.post(url, {"url": "https://example.com/trace", "proves": "Trace"}, content_type="application/json")
    assert added.status_code == 201
    assert added.json()["kind"] == "link"


def _replayed_then_refused(post) -> tuple:
    """The same key and body twice, then the same key with another body."""
    key = {"Idempotency-Key": str(uuid.uuid4())}
    return post(key, "first"), post(key, "first"), post(key, "second")


def test_upload_with_the_same_idempotency_key_is_replayed(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/artifacts/"
    first, again, reused = _replayed_then_refused(
        lambda headers, proves: client.post(url, {"file": _png(), "proves": proves}, headers=headers)
    )
    assert (first.status_code, again.status_code, reused.status_code) == (201, 201, 422)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Artifact.objects.filter(work=work).count() == 1


def test_upload_of_another_file_under_the_same_key_is_refused(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/artifacts/"
    headers = {"Idempotency-Key": "upload-1"}
    assert client.post(url, {"file": _png(), "proves": "Chart"}, headers=headers).status_code == 201
    other = _png(body=PNG_BYTES + b"\0")
    assert client.post(url, {"file": other, "proves": "Chart"}, headers=headers).status_code == 422


def test_add_link_with_the_same_idempotency_key_is_replayed(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/artifacts/links/"
    first, again, reused = _replayed_then_refused(
        lambda headers, proves: client.post(
            url,
            {"url": "https://example.com/trace", "proves": proves},
            content_type="application/json",
            headers=headers,
        )
    )
    assert (first.status_code, again.status_code, reused.status_code) == (201, 201, 422)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Artifact.objects.filter(work=work).count() == 1


def test_risk_entry_with_the_same_idempotency_key_is_replayed(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/risks/"
    first, again, reused = _replayed_then_refused(
        lambda headers, title: client.post(
            url, {"kind": "risk", "title": title}, content_type="application/json", headers=headers
        )
    )
    assert (first.status_code, again.status_code, reused.status_code) == (201, 201, 422)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert RiskEntry.objects.filter(student=people.student).count() == 1


def test_download_is_an_attachment_with_safe_headers(people, api, work):
    artifact = services.artifact_upload(work=work, upload=_png(), proves="Chart", by=people.student)
    response = api(people.mentor).get(f"/api/v1/works/{work.pk}/artifacts/{artifact.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_download_is_404_for_another_student_and_for_links(people, api, work):
    artifact = services.artifact_upload(work=work, upload=_png(), proves="Chart", by=people.student)
    link = services.artifact_add_link(work=work, url="https://example.com/x", proves="Trace", by=people.student)
    assert (
        api(people.other_student).get(f"/api/v1/works/{work.pk}/artifacts/{artifact.pk}/download/").status_code == 404
    )
    assert api(people.student).get(f"/api/v1/works/{work.pk}/artifacts/{link.pk}/download/").status_code == 404


def test_removing_a_submitted_artifact_keeps_it_for_the_revision(people, api, work):
    artifact = services.artifact_upload(work=work, upload=_png(), proves="Chart", by=people.student)
    revision = _submit(work, people)
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    client = api(people.student)
    assert client.delete(f"/api/v1/works/{work.pk}/artifacts/{artifact.pk}/").status_code == 204
    assert _ids(client.get(f"/api/v1/works/{work.pk}/artifacts/")) == set()
    assert client.get(f"/api/v1/works/{work.pk}/artifacts/{artifact.pk}/download/").status_code == 200


def test_removing_a_never_submitted_artifact_deletes_it(people, api, work):
    link = services.artifact_add_link(work=work, url="https://example.com/x", proves="Trace", by=people.student)
    assert api(people.student).delete(f"/api/v1/works/{work.pk}/artifacts/{link.pk}/").status_code == 204
    assert not Artifact.objects.filter(pk=link.pk).exists()


# --- risk log and retrospective -----------------------------------------------------------


def test_risk_entries_open_close_and_reopen(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/risks/"
    created = client.post(url, {"kind": "risk", "title": "Pool exhaustion", "severity": "high"}, "application/json")
    assert created.status_code == 201
    entry = created.json()
    assert (entry["status"], entry["week_opened"], entry["week_closed"]) == ("open", 20, None)
    closed = client.post(f"{url}{entry['id']}/close/", {"resolution": "Raised the pool."}, "application/json")
    assert (closed.json()["status"], closed.json()["week_closed"]) == ("closed", 20)
    again = client.post(f"{url}{entry['id']}/close/", {}, "application/json")
    assert again.status_code == 400
    reopened = client.post(f"{url}{entry['id']}/reopen/")
    assert (reopened.json()["status"], reopened.json()["week_closed"]) == ("open", None)
    assert [row["title"] for row in api(people.mentor).get(url).json()["results"]] == ["Pool exhaustion"]


def test_only_the_student_logs_risks(people, api, work):
    body = {"kind": "defect", "title": "Flaky test", "severity": "low"}
    assert api(people.mentor).post(f"/api/v1/works/{work.pk}/risks/", body, "application/json").status_code == 403
    assert (
        api(people.other_student).post(f"/api/v1/works/{work.pk}/risks/", body, "application/json").status_code == 404
    )


def test_retrospective_reads_empty_then_saves(people, api, work):
    client = api(people.student)
    url = f"/api/v1/works/{work.pk}/retrospective/"
    assert client.get(url).json() == {"retain": "", "improve": "", "scale": "", "is_done": False, "updated_at": None}
    body = {"retain": "Measure first.", "improve": "Start earlier.", "scale": "Latency budgets."}
    saved = client.put(url, body, content_type="application/json")
    assert saved.status_code == 200
    assert saved.json()["is_done"] is True
    assert api(people.instructor).get(url).json()["retain"] == "Measure first."
    assert api(people.instructor).put(url, body, content_type="application/json").status_code == 403


def test_a_capstone_work_has_no_retrospective(people, api):
    deliverable = people.cohort.course.capstone_projects.first().deliverables.first()
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, deliverable=deliverable)
    assert api(people.student).get(f"/api/v1/works/{work.pk}/retrospective/").status_code == 404


# --- query budgets -------------------------------------------------------------------------


@pytest.fixture
def warm(api):
    def make(user):
        client = api(user)
        assert client.get("/api/v1/me/").status_code == 200  # records the token's use now
        return client

    return make


def test_works_list_queries(people, warm, django_assert_num_queries):
    for _ in range(60):
        student = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
        MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor, student=student)
        WeeklyWorkFactory(cohort=people.cohort, student=student)
    client = warm(people.mentor)
    # 1 + 4: the fast path (courseplatform/fast_path.py) reads the token with my cohorts and
    # their versions (one statement) for the page's fast key and finds no entry; then DRF's
    # path: token, my cohorts with their versions (membership_stamps: the cache key), my cohorts
    # and mentees (teaching_scope), one page of works with students, cohorts, weeks,
    # deliverables, latest revisions (cursor pages: no count)
    with django_assert_num_queries(1 + 4):
        response = client.get("/api/v1/works/", {"page_size": 25})
    assert len(response.json()["results"]) == 25 and response.page_cache == "miss"
    # the same page again, from the cache before the middleware: the token with my cohorts
    with django_assert_num_queries(1):
        again = client.get("/api/v1/works/", {"page_size": 25})
    assert again.page_cache == "hit" and again.json() == response.json()
    # the next page: the fast path's 1, then token, my cohorts with versions, my cohorts and
    # mentees, works
    with django_assert_num_queries(1 + 4):
        response = client.get(response.json()["next"])
    assert len(response.json()["results"]) == 25


def test_each_list_row_is_what_the_work_serializer_gives(people, api, course):
    """The list builds its rows from values (serializers.work_list_item); they must be exactly
    WorkOutput's: a submitted week, a capstone draft, a student without a name."""
    nameless = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="").user
    MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor, student=nameless)
    week = services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=4)
    )
    services.work_save_draft(
        work=week, content={"concept": {"text": "Queues"}}, expected_version=week.draft_version, by=people.student
    )
    services.work_submit(work=week, by=people.student)
    deliverable = course.capstone_projects.order_by("number").first().deliverables.order_by("order").first()
    capstone = services.work_get_or_create(student=nameless, cohort=people.cohort, deliverable=deliverable)
    rows = api(people.mentor).get("/api/v1/works/").json()["results"]
    assert {row["id"] for row in rows} == {week.pk, capstone.pk}
    for row in rows:
        expected = WorkOutput(WeeklyWork.objects.get(pk=row["id"])).data
        assert row == json.loads(json.dumps(expected, cls=DjangoJSONEncoder))
    by_id = {row["id"]: row for row in rows}
    assert by_id[capstone.pk]["week"] is None and by_id[capstone.pk]["target"].startswith("Capstone: ")
    assert by_id[capstone.pk]["student"]["display_name"] == nameless.email.split("@")[0]
    assert by_id[week.pk]["latest_revision"] == 1 and by_id[week.pk]["draft_saved_at"]


def test_works_list_pages_by_cursor_newest_first(people, api):
    week_numbers = [3, 1, 2]
    opened = [
        services.work_get_or_create(
            student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=number)
        ).pk
        for number in week_numbers
    ]
    client = api(people.student)
    first = client.get("/api/v1/works/", {"page_size": 2}).json()
    assert "count" not in first and first["previous"] is None
    second = client.get(first["next"]).json()
    assert [row["id"] for row in first["results"] + second["results"]] == sorted(opened, reverse=True)
    assert second["next"] is None


def test_revisions_list_queries(people, warm, work, django_assert_num_queries):
    now = timezone.now()
    for number in range(1, 41):
        Revision(
            work=work,
            number=number,
            content={},
            submitted_at=now,
            due_at=now + datetime.timedelta(days=1),
            submitted_by=people.student,
        ).save()
    client = warm(people.instructor)
    # token, work (with what its pages need), my role (may view), count, page with submitters
    with django_assert_num_queries(5):
        response = client.get(f"/api/v1/works/{work.pk}/revisions/")
    assert response.json()["count"] == 40


def test_artifacts_list_queries(people, warm, work, django_assert_num_queries):
    for number in range(60):
        services.artifact_add_link(work=work, url=f"https://example.com/{number}", proves="Trace", by=people.student)
    client = warm(people.mentor)
    # token, work, my role (may view), mentor assignment, count, page of artifacts
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/works/{work.pk}/artifacts/")
    assert response.json()["count"] == 60


def test_risks_list_queries(people, warm, work, django_assert_num_queries):
    week = people.cohort.course.weeks.get(number=3)
    for number in range(60):
        entry = services.risk_entry_create(
            student=people.student, cohort=people.cohort, week=week, kind="risk", title=f"Risk {number}", severity="low"
        )
        if number % 2:
            services.risk_entry_close(entry=entry, week=work.week)
    client = warm(people.mentor)
    # token, work, my role (may view), mentor assignment, count, page of entries with their weeks
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/works/{work.pk}/risks/")
    assert response.json()["count"] == 60
