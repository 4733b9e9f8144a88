"""Report pages, status endpoint, downloads and retry, for every role."""

import pytest
from django.urls import reverse

from courseplatform.celery import app
from reports.models import ReportRun
from reports.services import report_build, report_request


@pytest.fixture
def eager():
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def runs(people):
    def make(kind, by, student=None, fmt=ReportRun.Format.CSV):
        run = report_request(kind=kind, fmt=fmt, cohort=people.cohort, student=student, by=by, enqueue_build=False)
        return report_build(run=run)

    return {
        "cohort": make(ReportRun.Kind.COHORT, people.instructor),
        "mentor_cohort": make(ReportRun.Kind.COHORT, people.mentor),
        "student": make(ReportRun.Kind.STUDENT, people.student, student=people.student),
    }


# Who may read which run (True: 200, False: 404).
READERS = {
    "cohort": {"admin", "instructor"},
    "mentor_cohort": {"admin", "instructor", "mentor"},
    "student": {"admin", "instructor", "mentor", "student"},
}
ROLES = [
    "admin",
    "instructor",
    "mentor",
    "unassigned_mentor",
    "student",
    "other_student",
    "foreign_mentor",
    "foreign_student",
    "foreign_instructor",
    "stranger",
]


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["cohort", "mentor_cohort", "student"])
@pytest.mark.parametrize("role", ROLES)
def test_download_is_allowed_only_to_those_who_may_read_the_report(people, runs, client_for, which, role):
    run = runs[which]
    client = client_for(getattr(people, role))
    response = client.get(reverse("reports:download", args=[run.pk]))
    if role in READERS[which]:
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"Student,Email" if which != "student" else b"Weeks")
    else:
        assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_status_page_and_json_follow_the_same_rule(people, runs, client_for, role):
    run = runs["student"]
    client = client_for(getattr(people, role))
    page = client.get(reverse("reports:detail", args=[run.pk]))
    status = client.get(reverse("reports:status", args=[run.pk]))
    expected = 200 if role in READERS["student"] else 404
    assert (page.status_code, status.status_code) == (expected, expected)
    if expected == 200:
        assert status.json()["progress"] == 100
        assert status.json()["download_url"] == reverse("reports:download", args=[run.pk])


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(runs, client_for):
    client = client_for(None)
    for name, args in [
        ("reports:list", []),
        ("reports:detail", [runs["cohort"].pk]),
        ("reports:download", [runs["cohort"].pk]),
    ]:
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_running_report_page_shows_progress_bar_and_polling_script(people, client_for):
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.RUNNING, progress=40)
    response = client_for(people.instructor).get(reverse("reports:detail", args=[run.pk]))
    html = response.content.decode()
    assert '<progress id="report-progress" max="100" value="40">' in html
    assert "It is being built in the background" in html
    assert 'src="/static/js/progress.js"' in html
    assert "<script>" not in html
    assert client_for(people.instructor).get(reverse("reports:status", args=[run.pk])).json()["progress"] == 40


@pytest.mark.django_db
def test_download_of_an_unfinished_report_is_404(people, client_for):
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    assert client_for(people.instructor).get(reverse("reports:download", args=[run.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_instructor_requests_a_cohort_report_and_it_is_built(people, client_for, eager):
    client = client_for(people.instructor)
    response = client.post(reverse("reports:list"), {"kind": "cohort", "format": "pdf", "cohort": people.cohort.pk})
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:detail", args=[run.pk])
    assert (run.status, run.requested_by, run.mentor_id) == (ReportRun.Status.SUCCEEDED, people.instructor, None)
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert reverse("reports:download", args=[run.pk]) in page
    # The message shown with the finished run says nothing the page contradicts.
    assert "Cohort progress report requested." in page and 'id="report-status-label">Ready<' in page
    assert "being built" not in page
    download = client.get(reverse("reports:download", args=[run.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_a_student_can_request_only_their_own_student_report(people, client_for):
    client = client_for(people.student)
    page = client.get(reverse("reports:list")).content.decode()
    assert 'name="cohort"' not in page and people.other_student.email not in page
    refused = client.post(reverse("reports:list"), {"kind": "cohort", "format": "csv", "cohort": people.cohort.pk})
    assert refused.status_code == 200 and not ReportRun.objects.exists()
    other = people.other_student.memberships.get(cohort=people.cohort)
    refused = client.post(reverse("reports:list"), {"kind": "student", "format": "csv", "student": other.pk})
    assert refused.status_code == 200 and not ReportRun.objects.exists()
    own = people.student.memberships.get(cohort=people.cohort)
    accepted = client.post(reverse("reports:list"), {"kind": "student", "format": "csv", "student": own.pk})
    assert accepted.status_code == 302
    assert ReportRun.objects.get().student == people.student


@pytest.mark.django_db
def test_foreign_mentor_cannot_request_a_report_of_another_cohort(people, client_for):
    client = client_for(people.foreign_mentor)
    response = client.post(reverse("reports:list"), {"kind": "cohort", "format": "csv", "cohort": people.cohort.pk})
    assert response.status_code == 200 and not ReportRun.objects.exists()
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_a_failed_report_shows_its_error_and_can_be_retried(people, client_for):
    run = report_request(kind="cohort", fmt="csv", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED, error="The worker ran out of memory.")
    client = client_for(people.instructor)
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "The worker ran out of memory." in page and reverse("reports:retry", args=[run.pk]) in page
    assert client_for(people.other_student).post(reverse("reports:retry", args=[run.pk])).status_code == 404
    response = client.post(reverse("reports:retry", args=[run.pk]))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.error, run.attempts) == (ReportRun.Status.QUEUED, "", 0)


@pytest.mark.django_db
def test_report_list_shows_only_my_runs_in_a_fixed_number_of_queries(
    people, runs, client_for, django_assert_num_queries
):
    from tests.factories import ReportRunFactory

    for _ in range(20):
        ReportRunFactory(cohort=people.cohort, requested_by=people.instructor)
    client = client_for(people.instructor)
    # session, user, may I ask for cohort reports, my cohorts, student memberships, my runs,
    # nav roles, the form's cohort and student choices
    with django_assert_num_queries(9):
        response = client.get(reverse("reports:list"))
    html = response.content.decode()
    assert html.count(reverse("reports:detail", args=[runs["cohort"].pk])) == 1
    assert reverse("reports:detail", args=[runs["student"].pk]) not in html


@pytest.mark.django_db
def test_html_report_downloads_as_a_sandboxed_attachment(people, client_for):
    run = report_build(
        run=report_request(kind="cohort", fmt="html", cohort=people.cohort, by=people.instructor, enqueue_build=False)
    )
    response = client_for(people.instructor).get(reverse("reports:download", args=[run.pk]))
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="cohort-progress-')
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert response["Cache-Control"] == "private, no-store"
