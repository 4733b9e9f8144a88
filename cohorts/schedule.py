"""When each week of a cohort opens and is due. Pure functions of the cohort's settings."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .models import Cohort


@dataclass(frozen=True)
class WeekWindow:
    number: int
    opens_at: datetime.datetime
    due_at: datetime.datetime
    extended_due_at: datetime.datetime | None = None

    @property
    def effective_due_at(self) -> datetime.datetime:
        return self.extended_due_at or self.due_at

    def is_late(self, moment: datetime.datetime) -> bool:
        return moment > self.effective_due_at

    def is_open(self, moment: datetime.datetime) -> bool:
        return moment >= self.opens_at


def week_window(cohort: Cohort, number: int, extended_due_at: datetime.datetime | None = None) -> WeekWindow:
    """Week N opens at local midnight on day 7·(N−1) after the start and is due at the
    cohort's due time on its seventh day, in the cohort's time zone (so across a daylight
    saving change the local clock time stays the same and the UTC instant moves)."""
    zone = ZoneInfo(cohort.time_zone)
    first_day = cohort.start_date + datetime.timedelta(days=7 * (number - 1))
    opens_at = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    due_at = datetime.datetime.combine(first_day + datetime.timedelta(days=6), cohort.due_time, tzinfo=zone)
    return WeekWindow(number=number, opens_at=opens_at, due_at=due_at, extended_due_at=extended_due_at)


def weeks_begun(cohort: Cohort, moment: datetime.datetime, week_count: int) -> int:
    """How many weeks have begun at `moment`: 0 before the start, all of them after the end."""
    offset = (moment.astimezone(ZoneInfo(cohort.time_zone)).date() - cohort.start_date).days
    return 0 if offset < 0 else min(week_count, offset // 7 + 1)


def current_week_number(cohort: Cohort, moment: datetime.datetime, week_count: int) -> int | None:
    """The week open at `moment`, or None before the start and after the last week."""
    local_day = moment.astimezone(ZoneInfo(cohort.time_zone)).date()
    offset = (local_day - cohort.start_date).days
    if offset < 0:
        return None
    number = offset // 7 + 1
    return number if number <= week_count else None
