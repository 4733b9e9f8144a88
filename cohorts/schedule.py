"""When each week of a cohort opens and is due. Pure functions of the cohort's settings."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
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


def week_window(cohort: Cohort, number: int, extended_due_at: datetime.datetime | None = None) -> WeekWindow:
    """Week N opens at local midnight on day 7·(N−1) after the start and is due at the
    cohort's due time on its seventh day, in the cohort's time zone (so across a daylight
    saving change the local clock time stays the same and the UTC instant moves)."""
    zone = ZoneInfo(cohort.time_zone)
    first_day = cohort.start_date + datetime.timedelta(days=7 * (number - 1))
    opens_at = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    due_at = datetime.datetime.combine(first_day + datetime.timedelta(days=6), cohort.due_time, tzinfo=zone)
    return WeekWindow(number=number, opens_at=opens_at, due_at=due_at, extended_due_at=extended_due_at)


class DueDates:
    """The one owner of "due date with extensions": the instant each week is due for each
    student, their extension applied (a later due date for one student and one week, and for
    anything else due that week, such as a capstone deliverable).

    Built from extension rows that cohorts.selectors.due_dates loads in one query, for one
    student, a set of students or whole cohorts; the dashboard, the workspace and submitting,
    the gradebook, the reports, the reminders and the API's schedule all read it."""

    def __init__(self, extensions: Iterable[tuple[int, int, int, datetime.datetime]] = ()) -> None:
        # (cohort id, student id, week number) → the extended due instant
        self._extended = {(cohort_id, student_id, number): due for cohort_id, student_id, number, due in extensions}
        self._regular: dict[tuple[int, int], WeekWindow] = {}
        self._weeks_of: dict[tuple[int, int], set[int]] = {}
        for cohort_id, student_id, number in self._extended:
            self._weeks_of.setdefault((cohort_id, student_id), set()).add(number)

    def window(self, cohort: Cohort, number: int, student_id: int | None) -> WeekWindow:
        """Week `number`'s open and due instants for the student (regular when None)."""
        regular = self._regular.get((cohort.pk, number))
        if regular is None:
            regular = self._regular[(cohort.pk, number)] = week_window(cohort, number)
        extended = self._extended.get((cohort.pk, student_id, number))
        return regular if extended is None else replace(regular, extended_due_at=extended)

    def due_at(self, cohort: Cohort, number: int, student_id: int | None) -> datetime.datetime:
        """The effective due instant: the extension when there is one, else the regular one."""
        return self.window(cohort, number, student_id).effective_due_at

    def extended_weeks(self, cohort: Cohort, student_id: int) -> set[int]:
        """The numbers of the weeks the student has an extension for in the cohort."""
        return set(self._weeks_of.get((cohort.pk, student_id), ()))

    def extended(self) -> list[tuple[int, int, int]]:
        """Every (cohort id, student id, week number) loaded with an extension."""
        return list(self._extended)


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
