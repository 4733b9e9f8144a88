"""The dashboard flags work that is past its due date (extensions applied) with nothing
submitted: an "Overdue" badge in the grid, the capstone tables and the this-week panel,
for the student and for the mentors and instructors who open their dashboard."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.schedule import week_window
from submissions import selectors, services
from tests.factories import ExtensionFactory

pytestmark = pytest.mark.django_db

OVERDUE_BADGE = re.compile(
    r'<span class="badge danger overdue">Overdue<span class="visually-hidden">[^<]+</span></span>'
)


def _week(people, number):
    return people.cohort.course.weeks.get(number=number)


def _due(people, number):
    return week_window(people.cohort, number).due_at


def _rows(dashboard):
    return {row.number: row for row in dashboard.weeks}


def test_a_draft_past_its_due_date_is_overdue(people):
    services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 2))
    now = _due(people, 2) + datetime.timedelta(minutes=1)
    rows = _rows(selectors.dashboard_for(people.student, people.cohort, now=now))
    assert rows[2].state == "draft" and rows[2].is_overdue and not rows[2].is_late


def test_a_week_never_started_is_overdue_once_due(people):
    now = _due(people, 2) + datetime.timedelta(minutes=1)
    rows = _rows(selectors.dashboard_for(people.student, people.cohort, now=now))
    assert rows[1].state == "not_started" and rows[1].is_overdue
    assert rows[2].is_overdue
    assert not rows[3].is_overdue  # not due yet


def test_nothing_is_overdue_before_the_due_date(people):
    services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 2))
    rows = _rows(selectors.dashboard_for(people.student, people.cohort, now=_due(people, 2)))
    assert not rows[2].is_overdue


def test_an_extension_moves_the_overdue_instant(people):
    week = _week(people, 2)
    extended = _due(people, 2) + datetime.timedelta(days=3)
    ExtensionFactory(cohort=people.cohort, student=people.student, week=week, due_at=extended)
    services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    during = _rows(selectors.dashboard_for(people.student, people.cohort, now=extended - datetime.timedelta(hours=1)))
    assert not during[2].is_overdue
    after = _rows(selectors.dashboard_for(people.student, people.cohort, now=extended + datetime.timedelta(minutes=1)))
    assert after[2].is_overdue


def test_submitted_work_is_late_not_overdue_and_reopened_work_stays_not_overdue(people):
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 1))
    revision = services.work_submit(work=work, by=people.student)  # the factory cohort is past week 1
    now = timezone.now()
    row = _rows(selectors.dashboard_for(people.student, people.cohort, now=now))[1]
    assert row.is_late and not row.is_overdue
    services.work_request_changes(work=work, revision=revision, by=people.mentor)
    row = _rows(selectors.dashboard_for(people.student, people.cohort, now=now))[1]
    assert row.state == "changes_requested" and not row.is_overdue


def test_capstone_deliverables_are_overdue_after_their_due_week(people):
    now = timezone.now()
    dashboard = selectors.dashboard_for(people.student, people.cohort, now=now)
    rows = [row for _, project_rows in dashboard.capstones for row in project_rows]
    assert rows
    for row in rows:
        due = week_window(people.cohort, row.deliverable.due_week.number).due_at
        assert row.is_overdue == (now > due)
    last = selectors.dashboard_for(people.student, people.cohort, now=_due(people, 24) + datetime.timedelta(days=1))
    assert all(row.is_overdue for _, project_rows in last.capstones for row in project_rows)


@pytest.fixture
def week1_due_this_morning(people):
    """Week 1 runs now and was due at midnight today (cohort time), so the this-week panel
    shows an overdue week."""
    zone = ZoneInfo(people.cohort.time_zone)
    people.cohort.start_date = timezone.now().astimezone(zone).date() - datetime.timedelta(days=6)
    people.cohort.due_time = datetime.time(0, 0)
    people.cohort.save(update_fields=["start_date", "due_time"])
    return people


@pytest.mark.parametrize("role", ["student", "mentor", "instructor"])
def test_the_dashboard_page_shows_the_overdue_badge(role, week1_due_this_morning, client_for):
    people = week1_due_this_morning
    services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 1))
    url = (
        reverse("submissions:dashboard")
        if role == "student"
        else reverse("submissions:student_dashboard", args=[people.cohort.slug, people.student.pk])
    )
    body = client_for(getattr(people, role)).get(url).content.decode()
    this_week = body[body.index('id="this-week-heading"') : body.index('id="weeks-heading"')]
    grid = body[body.index('id="weeks-heading"') : body.index('id="capstone-heading"')]
    assert len(OVERDUE_BADGE.findall(this_week)) == 1
    assert len(OVERDUE_BADGE.findall(grid)) == 1  # week 1 only; week 2 is not due yet
    assert "not submitted and past the due date" in this_week


def test_the_capstone_tables_show_the_overdue_badge(people, client_for):
    # The factory cohort started in September: some deliverables are due already.
    body = client_for(people.student).get(reverse("submissions:dashboard")).content.decode()
    capstones = body[body.index('id="capstone-heading"') : body.index('id="trend-heading"')]
    dashboard = selectors.dashboard_for(people.student, people.cohort)
    due = sum(row.is_overdue for _, rows in dashboard.capstones for row in rows)
    assert due and len(OVERDUE_BADGE.findall(capstones)) == due


def test_submitted_work_shows_no_overdue_badge(week1_due_this_morning, client_for):
    people = week1_due_this_morning
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, week=_week(people, 1))
    services.work_submit(work=work, by=people.student)
    body = client_for(people.student).get(reverse("submissions:dashboard")).content.decode()
    grid = body[body.index('id="this-week-heading"') : body.index('id="capstone-heading"')]
    assert not OVERDUE_BADGE.search(grid) and '<span class="badge danger">Late</span>' in grid


def test_the_risk_trend_stops_at_the_weeks_that_have_begun(people):
    """An entry still open today says nothing about the end of a week still to come."""
    services.risk_entry_create(
        student=people.student,
        cohort=people.cohort,
        week=_week(people, 2),
        kind="risk",
        title="No backups",
        severity="high",
    )
    during_week_3 = week_window(people.cohort, 3).opens_at + datetime.timedelta(hours=1)
    dashboard = selectors.dashboard_for(people.student, people.cohort, now=during_week_3)
    assert [(p.week, p.open) for p in dashboard.trend] == [(1, 0), (2, 1), (3, 1)]
    assert [bar["week"] for bar in dashboard.chart["bars"]] == [1, 2, 3]
    # The axis still spans the whole course, so the chart keeps its scale as weeks pass.
    slot = dashboard.chart["bars"][1]["x"] - dashboard.chart["bars"][0]["x"]
    assert slot == pytest.approx((760 - 34) / 24, abs=0.1)
    assert [tick["week"] for tick in dashboard.chart["ticks"]] == [1, 4, 8, 12, 16, 20, 24]

    before_start = week_window(people.cohort, 1).opens_at - datetime.timedelta(days=1)
    # Before the start only what was logged ahead of the calendar shows (up to week 2 here).
    assert [
        (p.week, p.open) for p in selectors.dashboard_for(people.student, people.cohort, now=before_start).trend
    ] == [
        (1, 0),
        (2, 1),
    ]
    assert selectors.dashboard_for(people.other_student, people.cohort, now=before_start).trend == []
    after_the_course = week_window(people.cohort, 24).due_at + datetime.timedelta(days=30)
    assert len(selectors.dashboard_for(people.student, people.cohort, now=after_the_course).trend) == 24


def test_an_entry_logged_ahead_of_the_calendar_still_shows_on_the_trend(people):
    services.risk_entry_create(
        student=people.student, cohort=people.cohort, week=_week(people, 5), kind="risk", title="Early", severity="low"
    )
    during_week_2 = week_window(people.cohort, 2).opens_at + datetime.timedelta(hours=1)
    trend = selectors.dashboard_for(people.student, people.cohort, now=during_week_2).trend
    assert [(p.week, p.open) for p in trend] == [(1, 0), (2, 0), (3, 0), (4, 0), (5, 1)]
