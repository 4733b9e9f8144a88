"""The defect and risk log changes only in weeks whose work is still editable (draft or
changes requested): an entry is opened in, and closed in, the week of the work it is logged
from, so a week already handed in (submitted, resubmitted, accepted) keeps its log and its
trend as they were. Pages refuse with a message; the services refuse every caller."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from submissions import services
from submissions.models import RiskEntry

pytestmark = pytest.mark.django_db

NEW_ENTRY = {"kind": "risk", "title": "Pool exhaustion under burst load", "severity": "high"}
FROZEN_STATES = ["submitted", "resubmitted", "accepted"]


def _week(people, number):
    return people.cohort.course.weeks.get(number=number)


def _work(people, number, state="draft"):
    """The student's work for a week, brought to `state` through the services."""
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, number))
    if state == "draft":
        return work
    revision = services.work_submit(work=work, by=people.student)
    if state == "submitted":
        return work
    if state == "accepted":
        services.work_accept(work=work, revision=revision, by=people.mentor)
        return work
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    if state == "resubmitted":
        services.work_submit(work=work, by=people.student)
    return work


def _entry(people, number=1):
    return services.risk_entry_create(
        student=people.student,
        cohort=people.cohort,
        week=_week(people, number),
        kind="defect",
        title="N+1",
        severity="low",
    )


# --- Services ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", FROZEN_STATES)
def test_no_entry_is_opened_in_a_week_already_handed_in(state, people):
    work = _work(people, 2, state)
    with pytest.raises(ValidationError, match=f"Week 2 is {work.get_state_display().lower()}") as refused:
        services.risk_entry_create(student=people.student, cohort=people.cohort, week=work.week, **NEW_ENTRY)
    assert refused.value.code == "risk_log_frozen"
    assert not RiskEntry.objects.exists()


@pytest.mark.parametrize("state", ["draft", "changes_requested"])
def test_entries_are_opened_in_an_editable_week(state, people):
    work = _work(people, 2, state)
    entry = services.risk_entry_create(student=people.student, cohort=people.cohort, week=work.week, **NEW_ENTRY)
    assert entry.week_opened == work.week


def test_an_entry_can_be_opened_in_a_week_not_started_yet(people):
    entry = services.risk_entry_create(student=people.student, cohort=people.cohort, week=_week(people, 3), **NEW_ENTRY)
    assert entry.week_opened.number == 3


@pytest.mark.parametrize("state", FROZEN_STATES)
def test_no_entry_is_closed_in_a_week_already_handed_in(state, people):
    entry = _entry(people, 1)
    work = _work(people, 2, state)
    with pytest.raises(ValidationError, match="Close the entry from the week you are working on now"):
        services.risk_entry_close(entry=entry, week=work.week)
    entry.refresh_from_db()
    assert entry.status == RiskEntry.Status.OPEN and entry.week_closed is None


def test_an_entry_closes_in_the_editable_week_it_is_closed_from(people):
    entry = _entry(people, 1)
    _work(people, 2, "accepted")
    work = _work(people, 3, "changes_requested")
    services.risk_entry_close(entry=entry, week=work.week, resolution="Pool raised to 40.")
    entry.refresh_from_db()
    assert (entry.status, entry.week_closed.number) == (RiskEntry.Status.CLOSED, 3)


def test_reopening_is_refused_once_the_week_it_closed_in_is_handed_in(people):
    entry = _entry(people, 1)
    work = _work(people, 2)
    services.risk_entry_close(entry=entry, week=work.week)
    services.work_submit(work=work, by=people.student)
    with pytest.raises(ValidationError, match="reopening it would rewrite"):
        services.risk_entry_reopen(entry=entry)
    entry.refresh_from_db()
    assert entry.week_closed == work.week


def test_reopening_is_allowed_while_the_week_it_closed_in_is_editable(people):
    entry = _entry(people, 1)
    work = _work(people, 2)
    services.risk_entry_close(entry=entry, week=work.week)
    services.risk_entry_reopen(entry=entry)
    entry.refresh_from_db()
    assert (entry.status, entry.week_closed) == (RiskEntry.Status.OPEN, None)


# --- Pages ---------------------------------------------------------------------------------


def _add(client, work):
    return client.post(reverse("submissions:risk_add", args=[work.pk]), NEW_ENTRY, follow=True)


def _close(client, work, entry):
    url = reverse("submissions:risk_close", args=[work.pk, entry.pk])
    return client.post(url, {"resolution": "Fixed."}, follow=True)


@pytest.mark.parametrize("state", FROZEN_STATES)
def test_student_adding_to_a_handed_in_week_gets_a_message_not_an_entry(state, people, client_for):
    work = _work(people, 2, state)
    response = _add(client_for(people.student), work)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(reverse("submissions:work", args=[work.pk]) + "#risks")
    body = response.content.decode()
    assert f"Week 2 is {work.get_state_display().lower()}, so its defect and risk log" in body
    assert "Log new entries from the week you are working on now." in body
    assert not RiskEntry.objects.exists()


@pytest.mark.parametrize("state", ["draft", "changes_requested"])
def test_student_adds_to_an_editable_week(state, people, client_for):
    work = _work(people, 2, state)
    response = _add(client_for(people.student), work)
    assert "Entry added to your defect and risk log." in response.content.decode()
    assert RiskEntry.objects.get().week_opened == work.week


@pytest.mark.parametrize("state", FROZEN_STATES)
def test_student_closing_from_a_handed_in_week_gets_a_message_and_the_entry_stays_open(state, people, client_for):
    entry = _entry(people, 1)
    work = _work(people, 2, state)
    response = _close(client_for(people.student), work, entry)
    assert response.status_code == 200
    assert "Close the entry from the week you are working on now" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == RiskEntry.Status.OPEN and entry.week_closed is None


def test_student_closes_from_the_current_editable_week_and_it_is_recorded_there(people, client_for):
    entry = _entry(people, 1)
    _work(people, 2, "accepted")
    current = _work(people, 3)
    response = _close(client_for(people.student), current, entry)
    assert "Closed “N+1” in week 3." in response.content.decode()
    entry.refresh_from_db()
    assert entry.week_closed == current.week


@pytest.mark.parametrize("role", ["mentor", "instructor", "other_student", "admin"])
@pytest.mark.parametrize("state", ["draft", "accepted"])
def test_nobody_but_the_student_adds_or_closes(role, state, people, client_for):
    entry = _entry(people, 1)
    work = _work(people, 2, state)
    client = client_for(getattr(people, role))
    assert client.post(reverse("submissions:risk_add", args=[work.pk]), NEW_ENTRY).status_code == 404
    assert client.post(reverse("submissions:risk_close", args=[work.pk, entry.pk])).status_code == 404
    entry.refresh_from_db()
    assert RiskEntry.objects.count() == 1 and entry.status == RiskEntry.Status.OPEN


def test_a_handed_in_week_offers_no_log_forms_and_says_why(people, client_for):
    _entry(people, 1)
    work = _work(people, 2, "accepted")
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert reverse("submissions:risk_add", args=[work.pk]) not in body
    assert "/risks/" not in body  # neither the add form nor a close form
    assert "so its log stays as it was handed in" in body
    mentor_view = client_for(people.mentor).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert "so its log stays as it was handed in" not in mentor_view


def test_an_editable_week_offers_the_log_forms(people, client_for):
    entry = _entry(people, 1)
    work = _work(people, 2, "changes_requested")
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert reverse("submissions:risk_add", args=[work.pk]) in body
    assert reverse("submissions:risk_close", args=[work.pk, entry.pk]) in body
