"""The rule "retrospective done" has one owner: Retrospective.is_done and RetrospectiveQuerySet.done()
in submissions/models.py, both "retain, improve and scale all written". The dashboard, the
reminders and the reports ask it; a student who fills one box sees "not done" on the
dashboard AND gets the reminder (they once disagreed)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Kind, ReminderLog
from notifications.services import reminders_sweep
from reports.selectors import course_frame, student_chunk
from submissions.models import Retrospective, Revision, WeeklyWork
from tests.factories import RetrospectiveFactory, WeeklyWorkFactory

pytestmark = pytest.mark.django_db

# The people fixture's cohort starts Monday 2026-09-07 (Europe/Berlin): week 1 is due on
# Sunday 2026-09-13 at 21:59 UTC.
WEEK1_DUE = datetime.datetime(2026, 9, 13, 21, 59, tzinfo=datetime.UTC)


def accept_week_1(people, course) -> WeeklyWork:
    work = WeeklyWorkFactory(cohort=people.cohort, student=people.student, week=course.weeks.get(number=1))
    revision = Revision.objects.create(
        work=work,
        number=1,
        content={},
        submitted_at=WEEK1_DUE - datetime.timedelta(days=1),
        due_at=WEEK1_DUE,
        submitted_by=people.student,
    )
    work.state, work.latest_revision = WeeklyWork.State.ACCEPTED, revision
    work.save(update_fields=["state", "latest_revision"])
    return work


def dashboard_says_done(people, client_for) -> bool:
    response = client_for(people.student).get(reverse("submissions:dashboard_cohort", args=[people.cohort.slug]))
    assert response.status_code == 200
    return response.context["d"].weeks[0].retro_done


def reminded(people) -> bool:
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(days=1), kinds=[Kind.RETROSPECTIVE_MISSING])
    return ReminderLog.objects.filter(kind=Kind.RETROSPECTIVE_MISSING, recipient=people.student).exists()


def report_count(people) -> int:
    (facts,) = student_chunk(course_frame(people.cohort, timezone.now()), [people.student.pk])
    return facts.retrospectives_done


@pytest.mark.parametrize(
    ("retain", "improve", "scale"),
    [
        ("Measuring first.", "", ""),
        ("Measuring first.", "Start earlier.", ""),
        ("Measuring first.", "Start earlier.", "   \n\t "),  # blank is not written
    ],
)
def test_a_partly_written_retrospective_is_not_done_for_the_dashboard_the_reminder_and_the_report(
    people, course, client_for, retain, improve, scale
):
    accept_week_1(people, course)
    RetrospectiveFactory(cohort=people.cohort, student=people.student, retain=retain, improve=improve, scale=scale)
    assert dashboard_says_done(people, client_for) is False
    assert reminded(people) is True
    assert report_count(people) == 0


def test_a_retrospective_with_all_three_written_is_done_everywhere(people, course, client_for):
    accept_week_1(people, course)
    RetrospectiveFactory(cohort=people.cohort, student=people.student)
    assert dashboard_says_done(people, client_for) is True
    assert reminded(people) is False
    assert report_count(people) == 1


def test_the_python_and_the_sql_form_of_the_rule_agree(people):
    texts = ["", " ", "\n", "\t x", "x", "é"]
    for retain in texts:
        for scale in texts:
            retro = RetrospectiveFactory(
                cohort=people.cohort, student=people.student, retain=retain, improve="ok", scale=scale
            )
            in_sql = Retrospective.objects.done().filter(pk=retro.pk).exists()
            assert retro.is_done == in_sql, (retain, scale)
            retro.delete()
