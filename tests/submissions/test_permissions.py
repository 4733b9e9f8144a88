"""Who sees a student's work: the student, their assigned mentors, their cohort's
instructors and platform admins. Everyone else gets 404, so existence does not leak."""

import pytest
from django.urls import reverse

from submissions import services
from submissions.models import WeeklyWork
from tests.factories import WeeklyWorkFactory

from .conftest import png, workspace_post

pytestmark = pytest.mark.django_db

ALLOWED = ["student", "mentor", "instructor", "admin"]
DENIED = ["other_student", "unassigned_mentor", "foreign_mentor", "foreign_student", "foreign_instructor", "stranger"]


@pytest.fixture
def work_with_two_revisions(people):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    artifact = services.artifact_upload(work=work, upload=png(), proves="Chart", by=people.student)
    first = services.work_submit(work=work, by=people.student)
    services.work_request_changes(work=work, revision=first, by=people.mentor)
    services.work_submit(work=work, by=people.student)
    return work, artifact


def _urls(work, artifact, cohort):
    return [
        reverse("submissions:work", args=[work.pk]),
        reverse("submissions:revision", args=[work.pk, 1]),
        reverse("submissions:diff", args=[work.pk]) + "?from=1&to=2",
        reverse("submissions:artifact_download", args=[artifact.pk]),
        reverse("submissions:student_dashboard", args=[cohort.slug, work.student_id]),
    ]


@pytest.mark.parametrize("role", ALLOWED)
def test_allowed_roles_see_the_work_its_revisions_diff_files_and_dashboard(
    role, people, client_for, work_with_two_revisions
):
    work, artifact = work_with_two_revisions
    client = client_for(getattr(people, role))
    for url in _urls(work, artifact, people.cohort):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", DENIED)
def test_everyone_else_gets_404_for_every_page(role, people, client_for, work_with_two_revisions):
    work, artifact = work_with_two_revisions
    client = client_for(getattr(people, role))
    for url in _urls(work, artifact, people.cohort):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_sign_in(people, client_for, work_with_two_revisions):
    work, artifact = work_with_two_revisions
    for url in _urls(work, artifact, people.cohort):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_missing_work_is_404_like_a_forbidden_one(people, client_for):
    assert client_for(people.student).get(reverse("submissions:work", args=[999999])).status_code == 404


@pytest.mark.parametrize("role", ["other_student", "foreign_mentor", "unassigned_mentor"])
def test_outsiders_cannot_write_to_the_work(role, people, client_for):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    client = client_for(getattr(people, role))
    assert client.post(reverse("submissions:work", args=[work.pk]), workspace_post(work)).status_code == 404
    assert client.post(reverse("submissions:submit", args=[work.pk]), workspace_post(work)).status_code == 404
    upload = client.post(reverse("submissions:artifact_upload", args=[work.pk]), {"file": png(), "proves": "x"})
    assert upload.status_code == 404
    risk = client.post(
        reverse("submissions:risk_add", args=[work.pk]), {"kind": "risk", "title": "x", "severity": "low"}
    )
    assert risk.status_code == 404
    work.refresh_from_db()
    assert work.draft_version == 1 and work.revisions.count() == 0 and work.artifacts.count() == 0


@pytest.mark.parametrize("role", ["mentor", "instructor"])
def test_mentors_and_instructors_read_but_do_not_edit(role, people, client_for):
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student)
    client = client_for(getattr(people, role))
    page = client.get(reverse("submissions:work", args=[work.pk]))
    assert page.status_code == 200 and b'id="workspace-form"' not in page.content
    client.post(reverse("submissions:work", args=[work.pk]), workspace_post(work))
    upload = client.post(reverse("submissions:artifact_upload", args=[work.pk]), {"file": png(), "proves": "x"})
    assert upload.status_code == 404
    work.refresh_from_db()
    assert work.draft_version == 1 and work.state == WeeklyWork.State.DRAFT


def test_a_student_cannot_open_a_workspace_in_a_cohort_they_do_not_study_in(people, client_for):
    for role in ("mentor", "foreign_student"):
        response = client_for(getattr(people, role)).get(reverse("submissions:open_week", args=[people.cohort.slug, 1]))
        assert response.status_code == 404
    assert not WeeklyWork.objects.exists()


def test_own_dashboard_needs_a_student_membership(people, client_for):
    assert client_for(people.student).get(reverse("submissions:dashboard")).status_code == 200
    page = client_for(people.mentor).get(reverse("submissions:dashboard"))
    assert page.status_code == 200 and b"not enrolled as a student" in page.content
    other = client_for(people.foreign_student).get(reverse("submissions:dashboard_cohort", args=[people.cohort.slug]))
    assert other.status_code == 404
