"""Report endpoints: request, list, progress and download, with the reports pages' policies."""

import pytest
from django.core.files.base import ContentFile

from reports.models import ReportRun
from tests.factories import ReportRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def report_files_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _student_run(people, **kwargs) -> ReportRun:
    return ReportRunFactory(
        cohort=people.cohort, kind="student", student=people.student, requested_by=people.student, **kwargs
    )


def _finished(run: ReportRun) -> ReportRun:
    run.status = ReportRun.Status.SUCCEEDED
    run.progress = 100
    run.file.save("student-report.csv", ContentFile(b"week,score\n1,3.5\n"))
    return run


def test_student_requests_own_report(people, bearer_client):
    body = {"kind": "student", "format": "pdf", "cohort": people.cohort.slug, "student": people.student.pk}
    response = bearer_client(people.student).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 201
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert (run.kind, run.format, run.student, run.requested_by) == ("student", "pdf", people.student, people.student)
    assert response.json()["status"] == "queued"


def test_mentor_cohort_report_is_scoped_to_their_students(people, bearer_client):
    body = {"kind": "cohort", "format": "csv", "cohort": people.cohort.slug}
    response = bearer_client(people.mentor).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 201
    assert ReportRun.objects.get(pk=response.json()["id"]).mentor_id == people.mentor.pk


def test_student_may_not_request_cohort_report(people, bearer_client):
    body = {"kind": "gradebook", "format": "csv", "cohort": people.cohort.slug}
    response = bearer_client(people.student).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


def test_student_report_needs_a_student(people, bearer_client):
    body = {"kind": "student", "format": "csv", "cohort": people.cohort.slug}
    response = bearer_client(people.instructor).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "student", "message": "A student report needs a student."}]


def test_foreign_cohort_is_a_field_error(people, bearer_client):
    body = {"kind": "cohort", "format": "csv", "cohort": people.other_cohort.slug}
    response = bearer_client(people.mentor).post("/api/v1/reports/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cohort"


def test_request_replays_with_idempotency_key(people, bearer_client):
    client = bearer_client(people.student)
    body = {"kind": "student", "format": "csv", "cohort": people.cohort.slug, "student": people.student.pk}
    first = client.post("/api/v1/reports/", body, content_type="application/json", headers={"Idempotency-Key": "r1"})
    again = client.post("/api/v1/reports/", body, content_type="application/json", headers={"Idempotency-Key": "r1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert ReportRun.objects.count() == 1


def test_list_shows_only_runs_i_requested(people, bearer_client):
    mine = _student_run(people)
    ReportRunFactory(cohort=people.cohort, requested_by=people.instructor)
    rows = bearer_client(people.student).get("/api/v1/reports/").json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]


def test_status_shows_progress_and_download_url_when_done(people, bearer_client):
    run = _finished(_student_run(people))
    body = bearer_client(people.mentor).get(f"/api/v1/reports/{run.pk}/").json()
    assert (body["status"], body["progress"], body["finished"]) == ("succeeded", 100, True)
    assert body["download_url"].endswith(f"/api/v1/reports/{run.pk}/download/")


def test_other_student_cannot_see_a_run(people, bearer_client):
    run = _finished(_student_run(people))
    client = bearer_client(people.other_student)
    assert client.get(f"/api/v1/reports/{run.pk}/").status_code == 404
    assert client.get(f"/api/v1/reports/{run.pk}/download/").status_code == 404


def test_download_is_a_sandboxed_attachment(people, bearer_client):
    run = _finished(_student_run(people))
    response = bearer_client(people.student).get(f"/api/v1/reports/{run.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == b"week,score\n1,3.5\n"


def test_download_of_unfinished_run_is_404(people, bearer_client):
    run = _student_run(people)
    assert bearer_client(people.student).get(f"/api/v1/reports/{run.pk}/download/").status_code == 404


def test_reports_list_queries(people, warm_client, django_assert_num_queries):
    for _ in range(70):
        _student_run(people)
    client = warm_client(people.student)
    with django_assert_num_queries(3):  # token, count, one page of runs with cohorts
        assert len(client.get("/api/v1/reports/").json()["results"]) == 50


def test_list_filters_by_kind_status_and_cohort(people, bearer_client):
    student_run = _student_run(people)
    done = _finished(_student_run(people))
    elsewhere = ReportRunFactory(cohort=people.other_cohort, requested_by=people.student)
    client = bearer_client(people.student)

    def ids(**query) -> set[int]:
        response = client.get("/api/v1/reports/", query)
        assert response.status_code == 200, response.content
        return {row["id"] for row in response.json()["results"]}

    assert ids(kind="student") == {student_run.pk, done.pk}
    assert ids(kind="cohort") == {elsewhere.pk}
    assert ids(status="succeeded") == {done.pk}
    assert ids(cohort=people.other_cohort.slug) == {elsewhere.pk}
    assert ids(kind="student", status="queued", cohort=people.cohort.slug) == {student_run.pk}


@pytest.mark.parametrize(("field", "value"), [("kind", "weekly"), ("status", "lost"), ("cohort", "no such/slug")])
def test_list_refuses_an_invalid_filter_naming_it(people, bearer_client, field, value):
    response = bearer_client(people.student).get("/api/v1/reports/", {field: value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]
