"""The rule "due date with extensions" has one owner: cohorts.schedule.DueDates, loaded by
cohorts.selectors.due_dates. The dashboard, the API's schedule, the gradebook, the cohort
report and the reminders read it; an extension moves the due date on every one of them."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.schedule import DueDates, week_window
from cohorts.selectors import due_dates
from notifications.models import Kind, ReminderLog
from notifications.services import reminders_sweep
from reports.generators import summarise
from reports.selectors import course_frame, student_chunk
from tests.factories import ExtensionFactory, PersonalAccessTokenFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def extension(people):
    """people.student may hand in week 1 three days from now; the cohort is in its sixth week
    (week 5 was due yesterday, week 6 is due in six days, whatever today's date), so everyone
    else is overdue for week 1 and no regular week falls due around the extended date."""
    people.cohort.start_date = timezone.localdate() - datetime.timedelta(days=35)
    people.cohort.save(update_fields=["start_date"])
    return ExtensionFactory(
        cohort=people.cohort,
        student=people.student,
        due_at=(timezone.now() + datetime.timedelta(days=3)).replace(microsecond=0),
    )


def test_the_owner_applies_an_extension_to_its_student_and_week_only(people, extension):
    due = due_dates(cohort=people.cohort)
    regular = week_window(people.cohort, 1).due_at
    assert due.due_at(people.cohort, 1, people.student.pk) == extension.due_at
    assert due.due_at(people.cohort, 1, people.other_student.pk) == regular
    assert due.due_at(people.cohort, 2, people.student.pk) == week_window(people.cohort, 2).due_at
    assert due.due_at(people.cohort, 1, None) == regular
    assert due.extended_weeks(people.cohort, people.student.pk) == {1}
    assert DueDates().due_at(people.cohort, 1, people.student.pk) == regular


def test_the_dashboard_and_the_api_schedule_show_the_extended_due_date(people, extension, client_for):
    page = client_for(people.student).get(reverse("submissions:dashboard_cohort", args=[people.cohort.slug]))
    week_1 = page.context["d"].weeks[0]
    assert week_1.due_at == extension.due_at
    assert week_1.is_overdue is False
    other = client_for(people.instructor).get(
        reverse("submissions:student_dashboard", args=[people.cohort.slug, people.other_student.pk])
    )
    assert other.context["d"].weeks[0].is_overdue is True

    token = PersonalAccessTokenFactory(user=people.student)
    response = Client(headers={"Authorization": f"Bearer {token.plaintext}"}).get(
        f"/api/v1/cohorts/{people.cohort.slug}/schedule/"
    )
    assert response.status_code == 200
    row = response.json()[0]
    assert row["number"] == 1
    assert datetime.datetime.fromisoformat(row["effective_due_at"]) == extension.due_at
    assert datetime.datetime.fromisoformat(row["due_at"]) == week_window(people.cohort, 1).due_at


def test_the_gradebook_and_the_cohort_report_do_not_call_extended_work_missing(people, extension, client_for):
    page = client_for(people.instructor).get(reverse("insights:gradebook", args=[people.cohort.slug]))
    rows = {row.student_id: row for row in page.context["book"].rows}
    assert rows[people.student.pk].cells[0].missing is False
    assert rows[people.other_student.pk].cells[0].missing is True

    frame = course_frame(people.cohort, timezone.now())
    facts = {f.student.pk: f for f in student_chunk(frame, [people.student.pk, people.other_student.pk])}
    assert summarise(frame, facts[people.student.pk]).cells[0] == "·"
    assert summarise(frame, facts[people.other_student.pk]).cells[0] == "Missing"


def test_the_reminders_wait_for_the_extended_due_date(people, extension):
    reminders_sweep(now=extension.due_at - datetime.timedelta(hours=20), kinds=[Kind.DEADLINE_APPROACHING])
    sent = ReminderLog.objects.filter(kind=Kind.DEADLINE_APPROACHING, recipient=people.student)
    assert [log.subject_key for log in sent] == [f"cohort:{people.cohort.pk}:week:1"]
    assert not ReminderLog.objects.filter(kind=Kind.DEADLINE_APPROACHING, recipient=people.other_student).exists()
