"""A whole week end to end through HTTP, as a student does it in the browser: open the
workspace, fill every section, upload evidence, log a risk, submit, read the revision,
get changes requested, revise, resubmit and compare the two revisions."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from submissions import services
from submissions.models import Revision, WeeklyWork

from .conftest import png, text_file, workspace_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_cohort(people):
    """The fixture cohort, moved so that week 1 is open today."""
    people.cohort.start_date = timezone.localdate() - datetime.timedelta(days=1)
    people.cohort.save(update_fields=["start_date"])
    return people


def test_student_completes_a_week_end_to_end(running_cohort, client_for):
    people = running_cohort
    client = client_for(people.student)

    response = client.post(reverse("submissions:open_week", args=[people.cohort.slug, 1]))
    work = WeeklyWork.objects.get(student=people.student, cohort=people.cohort, week__number=1)
    assert response.status_code == 302 and response["Location"] == reverse("submissions:work", args=[work.pk])

    page = client.get(reverse("submissions:work", args=[work.pk]))
    assert page.status_code == 200
    assert b"1. Concept analysis" in page.content and b"8. Revision note" in page.content

    response = client.post(reverse("submissions:work", args=[work.pk]), workspace_post(work))
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.draft_version == 2
    assert work.content["decision"]["decision"] == "Add a covering index."

    required = work.week.lab.evidence_list
    for index, item in enumerate(required):
        upload = png(f"evidence-{index}.png") if index % 2 else text_file(f"evidence-{index}.md")
        response = client.post(
            reverse("submissions:artifact_upload", args=[work.pk]),
            {"file": upload, "proves": f"Proof for item {index}", "evidence_item": item},
        )
        assert response.status_code == 302, response.content.decode()[:500]
    response = client.post(
        reverse("submissions:artifact_link", args=[work.pk]),
        {"link-url": "https://github.com/sam/bookstore/pull/4", "link-proves": "The instrumentation change"},
    )
    assert response.status_code == 302
    assert work.artifacts.filter(kind="link", url="https://github.com/sam/bookstore/pull/4").exists()
    client.post(
        reverse("submissions:risk_add", args=[work.pk]),
        {"kind": "risk", "title": "Index build locks the table", "severity": "high", "description": ""},
    )

    page = client.get(reverse("submissions:work", args=[work.pk]))
    assert "100 %" in page.content.decode()

    response = client.post(
        reverse("submissions:submit", args=[work.pk]), workspace_post(work, draft_version=str(work.draft_version))
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:revision", args=[work.pk, 1])
    work.refresh_from_db()
    assert work.state == WeeklyWork.State.SUBMITTED
    first = Revision.objects.get(work=work, number=1)
    assert first.is_late is False
    assert first.artifacts.count() == len(required) + 1
    assert first.content["retrospective"]["retain"] == "Measure before changing."
    assert [r["title"] for r in first.content["risks"]] == ["Index build locks the table"]

    revision_page = client.get(response["Location"])
    assert revision_page.status_code == 200
    assert "Add a covering index." in revision_page.content.decode()

    # The mentor asks for changes; the draft opens again.
    services.work_request_changes(work=work, revision=first, by=people.mentor)
    work.refresh_from_db()
    response = client.post(
        reverse("submissions:submit", args=[work.pk]),
        workspace_post(
            work,
            decision_decision="Add a covering index and cache the page for 30 s.",
            revision_note="Added caching after the mentor's load-test feedback.",
        ),
    )
    assert response.status_code == 302
    work.refresh_from_db()
    assert work.state == WeeklyWork.State.RESUBMITTED
    assert work.latest_revision.number == 2
    assert work.latest_revision.note == "Added caching after the mentor's load-test feedback."

    diff = client.get(reverse("submissions:diff", args=[work.pk]) + "?from=1&to=2")
    body = diff.content.decode()
    assert diff.status_code == 200
    assert "<ins>and cache the page for 30 s</ins>" in body or "<ins> and cache the page for 30 s</ins>" in body
    side = client.get(reverse("submissions:diff", args=[work.pk]) + "?from=1&to=2&mode=side")
    assert side.status_code == 200 and "diff-side" in side.content.decode()

    # Revision 1 is unchanged by everything that happened after it.
    first.refresh_from_db()
    assert first.content["decision"]["decision"] == "Add a covering index."


def test_capstone_deliverable_uses_the_same_workspace(running_cohort, client_for):
    people = running_cohort
    client = client_for(people.student)
    deliverable = people.cohort.course.capstone_projects.get(number=1).deliverables.get(order=3)
    response = client.post(reverse("submissions:open_deliverable", args=[people.cohort.slug, deliverable.pk]))
    work = WeeklyWork.objects.get(student=people.student, deliverable=deliverable)
    assert response.status_code == 302 and response["Location"] == reverse("submissions:work", args=[work.pk])
    page = client.get(reverse("submissions:work", args=[work.pk]))
    assert deliverable.title in page.content.decode()
    client.post(
        reverse("submissions:artifact_upload", args=[work.pk]),
        {"file": png("memo.png"), "proves": "Signed-off memo", "evidence_item": deliverable.title},
    )
    response = client.post(reverse("submissions:submit", args=[work.pk]), workspace_post(work))
    assert response.status_code == 302
    revision = Revision.objects.get(work=work)
    assert revision.content["deliverable"]["text"].startswith("## Contract tests")
    assert len(revision.content["artifacts"]) == 1


def test_late_submission_under_refuse_policy_keeps_the_draft_and_the_text(people, client_for):
    from cohorts.models import Cohort

    Cohort.objects.filter(pk=people.cohort.pk).update(late_policy=Cohort.LatePolicy.REFUSE)
    work = services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=1)
    )
    client = client_for(people.student)
    response = client.post(
        reverse("submissions:submit", args=[work.pk]), workspace_post(work, lab_text="Typed just after the deadline")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "does not accept late work" in body and "Typed just after the deadline" in body
    assert 'name="draft_version" value="2"' in body
    work.refresh_from_db()
    assert work.revisions.count() == 0 and work.content["lab"]["text"] == "Typed just after the deadline"


def test_late_submission_is_accepted_and_flagged_under_mark_late(people, client_for):
    work = services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=1)
    )
    response = client_for(people.student).post(reverse("submissions:submit", args=[work.pk]), workspace_post(work))
    assert response.status_code == 302
    assert work.revisions.get().is_late is True
    dashboard = client_for(people.student).get(reverse("submissions:dashboard")).content.decode()
    assert '<span class="badge danger">Late</span>' in dashboard


def test_submit_from_a_stale_tab_is_refused_with_the_text_kept(people, client_for):
    work = services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=1)
    )
    client = client_for(people.student)
    client.post(reverse("submissions:work", args=[work.pk]), workspace_post(work))
    response = client.post(
        reverse("submissions:submit", args=[work.pk]),
        workspace_post(work, draft_version="1", lab_text="Stale tab text"),
    )
    assert response.status_code == 409
    assert "Stale tab text" in response.content.decode()
    assert work.revisions.count() == 0


def test_dashboard_shows_due_dates_in_the_students_time_zone(people, client_for):
    people.student.time_zone = "America/New_York"
    people.student.save(update_fields=["time_zone"])
    body = client_for(people.student).get(reverse("submissions:dashboard")).content.decode()
    # Week 1 of a cohort starting Monday 7 September 2026 is due Sunday 13 September at 23:59
    # in Berlin, which is 17:59 in New York.
    assert "Sun 13 Sep, 17:59" in body and "America/New_York" in body
    assert 'role="img"' in body and "Trend as a table" in body


def test_student_closes_a_risk_and_removes_a_draft_artifact_over_http(people, client_for):
    from submissions.models import Artifact, RiskEntry

    week2 = people.cohort.course.weeks.get(number=2)
    entry = services.risk_entry_create(
        student=people.student,
        cohort=people.cohort,
        week=people.cohort.course.weeks.get(number=1),
        kind="defect",
        title="N+1 on the list page",
        severity="high",
    )
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=week2)
    artifact = services.artifact_add_link(
        work=work, url="https://example.com/pr/1", proves="The fix", by=people.student
    )
    client = client_for(people.student)
    close = client.post(reverse("submissions:risk_close", args=[work.pk, entry.pk]), {"resolution": "select_related"})
    assert close.status_code == 302
    entry.refresh_from_db()
    assert entry.status == RiskEntry.Status.CLOSED and entry.week_closed == week2
    remove = client.post(reverse("submissions:artifact_remove", args=[work.pk, artifact.pk]))
    assert remove.status_code == 302 and not Artifact.objects.filter(pk=artifact.pk).exists()
    other = client_for(people.other_student).post(reverse("submissions:risk_close", args=[work.pk, entry.pk]))
    assert other.status_code == 404


def test_looking_at_an_open_week_does_not_start_it(running_cohort, client_for):
    """GET never writes: the dashboard's week links (or a crawler following them) must not turn
    "Not started" into "Draft"; the Start button (a POST) does."""
    people = running_cohort
    client = client_for(people.student)
    url = reverse("submissions:open_week", args=[people.cohort.slug, 1])
    for method in (client.get, client.head):
        assert method(url).status_code == 200
    assert "Start week 1" in client.get(url).content.decode()
    dashboard = client.get(reverse("submissions:dashboard")).content.decode()
    assert "Start this week's workspace" in dashboard
    assert not WeeklyWork.objects.filter(student=people.student).exists()
    started = client.post(url)
    work = WeeklyWork.objects.get(student=people.student, cohort=people.cohort, week__number=1)
    assert started["Location"] == reverse("submissions:work", args=[work.pk])
    assert client.get(url)["Location"] == reverse("submissions:work", args=[work.pk])  # started: straight in
    assert "Open this week's workspace" in client.get(reverse("submissions:dashboard")).content.decode()


def test_looking_at_a_week_that_has_not_opened_does_not_start_it(running_cohort, client_for):
    people = running_cohort
    client = client_for(people.student)
    url = reverse("submissions:open_week", args=[people.cohort.slug, 20])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "This week opens on" in body and "Start week 20 now" in body
    assert not WeeklyWork.objects.filter(student=people.student, week__number=20).exists()

    started = client.post(url)
    work = WeeklyWork.objects.get(student=people.student, cohort=people.cohort, week__number=20)
    assert started.status_code == 302 and started["Location"] == reverse("submissions:work", args=[work.pk])
    assert client.get(url)["Location"] == reverse("submissions:work", args=[work.pk])  # started: straight in
    assert client_for(people.mentor).post(url).status_code == 404  # only students start work


def test_opening_a_capstone_deliverable_with_get_only_shows_it_and_post_starts_it(running_cohort, client_for):
    """A link crawler or an e-mail preview following the dashboard's link must not turn
    "Not started" into "Draft": the GET shows what the deliverable asks and a Start button."""
    people = running_cohort
    client = client_for(people.student)
    deliverable = people.cohort.course.capstone_projects.get(number=2).deliverables.get(order=1)
    url = reverse("submissions:open_deliverable", args=[people.cohort.slug, deliverable.pk])
    before = WeeklyWork.objects.count()
    page = client.get(url)
    assert WeeklyWork.objects.count() == before
    body = page.content.decode()
    assert page.status_code == 200
    assert deliverable.title in body and "Start this deliverable" in body and 'method="post"' in body
    assert client.head(url).status_code == 200 and WeeklyWork.objects.count() == before

    started = client.post(url)
    work = WeeklyWork.objects.get(student=people.student, cohort=people.cohort, deliverable=deliverable)
    assert WeeklyWork.objects.count() == before + 1
    assert started["Location"] == reverse("submissions:work", args=[work.pk])
    # Once started, the same link opens the workspace, and starting again adds nothing.
    assert client.get(url)["Location"] == reverse("submissions:work", args=[work.pk])
    client.post(url)
    assert WeeklyWork.objects.count() == before + 1


@pytest.mark.parametrize("role", ["mentor", "instructor", "foreign_student", "stranger"])
def test_only_the_cohorts_students_start_a_deliverable(running_cohort, client_for, role):
    people = running_cohort
    deliverable = people.cohort.course.capstone_projects.get(number=1).deliverables.get(order=1)
    url = reverse("submissions:open_deliverable", args=[people.cohort.slug, deliverable.pk])
    client = client_for(getattr(people, role))
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert not WeeklyWork.objects.filter(deliverable=deliverable).exists()
