import datetime
from zoneinfo import ZoneInfo

import pytest

from cohorts.schedule import current_week_number, week_window
from tests.factories import CohortFactory

pytestmark = pytest.mark.django_db


def test_week_one_opens_at_local_midnight_and_is_due_on_day_seven(course):
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7), time_zone="Europe/Berlin")
    window = week_window(cohort, 1)
    assert window.opens_at == datetime.datetime(2026, 9, 7, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert window.due_at == datetime.datetime(2026, 9, 13, 23, 59, tzinfo=ZoneInfo("Europe/Berlin"))
    assert window.due_at.astimezone(datetime.UTC) == datetime.datetime(2026, 9, 13, 21, 59, tzinfo=datetime.UTC)


def test_local_due_time_is_kept_across_a_daylight_saving_change(course):
    # Europe/Berlin leaves summer time on 25 October 2026.
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 10, 12), time_zone="Europe/Berlin")
    before, after = week_window(cohort, 1), week_window(cohort, 3)
    assert (before.due_at.hour, after.due_at.hour) == (23, 23)
    assert before.due_at.astimezone(datetime.UTC).hour == 21
    assert after.due_at.astimezone(datetime.UTC).hour == 22


def test_the_same_week_is_due_at_different_instants_in_different_zones(course):
    tokyo = CohortFactory(course=course, time_zone="Asia/Tokyo")
    new_york = CohortFactory(course=course, time_zone="America/New_York")
    assert week_window(new_york, 2).due_at - week_window(tokyo, 2).due_at == datetime.timedelta(hours=13)


def test_extension_moves_the_effective_due_date_and_lateness(course):
    cohort = CohortFactory(course=course, time_zone="UTC", start_date=datetime.date(2026, 9, 7))
    regular = week_window(cohort, 1)
    extended = week_window(cohort, 1, extended_due_at=regular.due_at + datetime.timedelta(days=2))
    just_after = regular.due_at + datetime.timedelta(minutes=1)
    assert regular.is_late(just_after)
    assert not extended.is_late(just_after)
    assert extended.is_late(extended.effective_due_at + datetime.timedelta(seconds=1))


def test_current_week_number_follows_the_cohort_calendar(course):
    cohort = CohortFactory(course=course, start_date=datetime.date(2026, 9, 7), time_zone="Pacific/Auckland")
    # 6 Sep 2026 12:30 UTC is already 7 Sep 00:30 in Auckland: week 1 has begun there.
    assert current_week_number(cohort, datetime.datetime(2026, 9, 6, 12, 30, tzinfo=datetime.UTC), 24) == 1
    assert current_week_number(cohort, datetime.datetime(2026, 9, 6, 11, 0, tzinfo=datetime.UTC), 24) is None
    assert current_week_number(cohort, datetime.datetime(2026, 9, 21, 12, 0, tzinfo=datetime.UTC), 24) == 3
    assert current_week_number(cohort, datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC), 24) is None
