"""Draft saving with optimistic concurrency, submission numbering, late marking and the
review transitions the review app calls."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cohorts.models import Cohort
from cohorts.schedule import week_window
from submissions import services
from submissions.models import WeeklyWork
from tests.factories import ExtensionFactory, WeeklyWorkFactory

from .conftest import workspace_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(people):
    return WeeklyWorkFactory(cohort=people.cohort, student=people.student)


def _due(work):
    return week_window(work.cohort, work.week.number).due_at


def test_saving_a_draft_raises_its_version(work, people):
    services.work_save_draft(work=work, content={"revision_note": "first"}, expected_version=1, by=people.student)
    work.refresh_from_db()
    assert work.draft_version == 2
    assert work.content["revision_note"] == "first"


def test_second_tab_saving_an_older_version_is_refused_and_nothing_is_overwritten(work, people):
    services.work_save_draft(work=work, content={"revision_note": "tab one"}, expected_version=1, by=people.student)
    stale = WeeklyWork.objects.get(pk=work.pk)
    with pytest.raises(services.DraftConflict):
        services.work_save_draft(
            work=stale, content={"revision_note": "tab two"}, expected_version=1, by=people.student
        )
    work.refresh_from_db()
    assert work.content["revision_note"] == "tab one"
    assert work.draft_version == 2


def test_concurrent_edit_refusal_keeps_the_typed_text_on_the_page(work, people, client_for):
    client = client_for(people.student)
    url = reverse("submissions:work", args=[work.pk])
    assert client.post(url, workspace_post(work, concept_text="Saved from tab one")).status_code == 302
    response = client.post(url, workspace_post(work, draft_version="1", concept_text="Typed in tab two"))
    assert response.status_code == 409
    body = response.content.decode()
    assert "saved from another tab" in body
    assert "Typed in tab two" in body
    work.refresh_from_db()
    assert work.content["concept"]["text"] == "Saved from tab one"


def test_autosave_conflict_answers_json_409(work, people, client_for):
    client = client_for(people.student)
    url = reverse("submissions:work", args=[work.pk])
    ok = client.post(url, workspace_post(work), headers={"X-Autosave": "1"})
    assert ok.status_code == 200 and ok.json() == {"ok": True, "draft_version": 2, "saved_at": ok.json()["saved_at"]}
    refused = client.post(url, workspace_post(work, draft_version="1"), headers={"X-Autosave": "1"})
    assert refused.status_code == 409
    assert "another tab" in refused.json()["error"]


def test_invalid_post_keeps_the_typed_text(work, people, client_for):
    client = client_for(people.student)
    url = reverse("submissions:work", args=[work.pk])
    response = client.post(url, workspace_post(work, concept_text="Keep me", criterion_0_metric="x" * 600))
    assert response.status_code == 400
    assert "Keep me" in response.content.decode()


def test_submissions_are_numbered_and_lock_the_draft(work, people):
    first = services.work_submit(work=work, by=people.student, now=_due(work) - datetime.timedelta(hours=1))
    assert first.number == 1 and work.state == WeeklyWork.State.SUBMITTED
    with pytest.raises(ValidationError):
        services.work_save_draft(work=work, content={}, expected_version=work.draft_version, by=people.student)
    services.work_request_changes(work=work, revision=first, by=people.mentor)
    second = services.work_submit(work=work, by=people.student, now=_due(work) - datetime.timedelta(minutes=5))
    assert second.number == 2 and work.state == WeeklyWork.State.RESUBMITTED
    services.work_accept(work=work, revision=second, by=people.mentor)
    assert work.state == WeeklyWork.State.ACCEPTED


def test_submitting_after_the_due_date_is_marked_late(work, people):
    revision = services.work_submit(work=work, by=people.student, now=_due(work) + datetime.timedelta(minutes=1))
    assert revision.is_late is True
    assert revision.due_at == _due(work)


def test_submitting_before_the_due_date_is_on_time(work, people):
    revision = services.work_submit(work=work, by=people.student, now=_due(work) - datetime.timedelta(minutes=1))
    assert revision.is_late is False


def test_extension_moves_the_due_date_for_that_student(work, people):
    extended = _due(work) + datetime.timedelta(days=3)
    ExtensionFactory(cohort=people.cohort, student=people.student, week=work.week, due_at=extended)
    revision = services.work_submit(work=work, by=people.student, now=_due(work) + datetime.timedelta(days=1))
    assert revision.is_late is False
    assert revision.due_at == extended


def test_refuse_policy_rejects_late_submissions_with_a_clear_error(work, people):
    Cohort.objects.filter(pk=people.cohort.pk).update(late_policy=Cohort.LatePolicy.REFUSE)
    work.cohort.refresh_from_db()
    with pytest.raises(ValidationError, match="does not accept late work"):
        services.work_submit(work=work, by=people.student, now=_due(work) + datetime.timedelta(minutes=1))
    assert work.revisions.count() == 0


def test_submit_from_a_stale_tab_is_refused(work, people):
    services.work_save_draft(work=work, content={}, expected_version=1, by=people.student)
    with pytest.raises(services.DraftConflict):
        services.work_submit(work=work, by=people.student, expected_version=1)


def test_only_the_owner_can_save_or_submit(work, people):
    with pytest.raises(ValidationError):
        services.work_save_draft(work=work, content={}, expected_version=1, by=people.mentor)
    with pytest.raises(ValidationError):
        services.work_submit(work=work, by=people.other_student)


def test_review_transitions_need_a_mentor_or_instructor_of_the_student(work, people):
    revision = services.work_submit(work=work, by=people.student)
    for outsider in (people.student, people.other_student, people.unassigned_mentor, people.foreign_mentor):
        with pytest.raises(ValidationError):
            services.work_request_changes(work=work, revision=revision, by=outsider)
    services.work_request_changes(work=work, revision=revision, by=people.instructor)
    assert work.state == WeeklyWork.State.CHANGES_REQUESTED


def test_publishing_marks_accepted_work_published(work, people):
    revision = services.work_submit(work=work, by=people.student)
    with pytest.raises(ValidationError):
        services.work_mark_published(work=work)
    services.work_accept(work=work, revision=revision, by=people.mentor)
    services.work_mark_published(work=work)
    assert work.display_state == "published"
    services.work_mark_unpublished(work=work)
    assert work.display_state == "accepted"


def test_risk_entries_close_in_a_later_week_and_form_a_trend(people):
    from submissions.selectors import risk_trend

    week = people.cohort.course.weeks.get
    entry = services.risk_entry_create(
        student=people.student,
        cohort=people.cohort,
        week=week(number=2),
        kind="defect",
        title="N+1 on list",
        severity="high",
    )
    services.risk_entry_create(
        student=people.student,
        cohort=people.cohort,
        week=week(number=3),
        kind="risk",
        title="Pool size",
        severity="low",
    )
    with pytest.raises(ValidationError):
        services.risk_entry_close(entry=entry, week=week(number=1))
    services.risk_entry_close(entry=entry, week=week(number=4), resolution="select_related added")
    trend = risk_trend([(2, 4), (3, None)], 5)
    assert [(p.open, p.closed) for p in trend] == [(0, 0), (1, 0), (2, 0), (1, 1), (1, 0)]
