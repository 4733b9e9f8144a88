"""The gradebook's and the heatmap's content, rendered once and kept until something it shows
can have changed.

A page of 50 students × 33 columns costs about twenty queries and tens of milliseconds of
Python to make; what it shows changes only when somebody does something (a submission, a
score, a member or mentor added or removed, an extension, a retrospective, a risk, the at-risk
rules) or when a due date passes (a cell turns "missing"). So the rendered content (the
controls, the table and the pager; not the site's header, which carries the viewer's
navigation and messages) is cached under a key made of:

- the cohort, its creation instant (a restored or re-created database never reads another's
  entries) and `Cohort.grades_version`, which every service that changes a cell's inputs bumps
  in its own transaction (cohorts.services.cohort_grades_changed), and the cohort's schedule
  (start date, time zone, due time: an edit moves every due date) and name;
- the viewer's scope: "all" for those who see every student (the cohort's instructors,
  admins), else the mentor's own id, so a mentor is never shown a page made for someone
  who sees other students;
- the whole query string, exactly as sent (sort, direction, filters, cursor): the content
  echoes it in its links and form. Only a query string that the form takes as it is (every
  field valid, known names only, each once) is stored; anything else is computed every time,
  so hostile query strings cannot fill the cache.

An entry lives until the next due date of the cohort passes (a regular week's or any
student's extension, cohorts.selectors.next_due_passing), and at most MAX_SECONDS: the bound
on the few changes that reach the page without a service of the cohort (a person renaming
themselves in their account, a week's title edited in the curriculum admin).

Redis down: the fail-soft cache answers every get as a miss (core/cache.py), so the page is
computed as if there were no cache.
"""

import datetime
import hashlib

from django.core.cache import cache
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from cohorts.models import Cohort

MAX_SECONDS = 300
QUERY_FIELDS = frozenset({"sort", "dir", "mentor", "status", "at_risk", "after", "before"})
# The longest query string worth keeping (two cursors and every filter fit well within it).
MAX_QUERY_LENGTH = 1200


def grid_key(kind: str, cohort: Cohort, user: User, *, sees_every_student: bool, params: QueryDict) -> str | None:
    """The cache key of this page for this viewer, or None when the query string is not one
    to keep (unknown or repeated names, too long)."""
    if any(name not in QUERY_FIELDS or len(params.getlist(name)) != 1 for name in params):
        return None
    query = urlencode(sorted(params.items()))
    if len(query) > MAX_QUERY_LENGTH:
        return None
    scope = "all" if sees_every_student else f"mentor-{user.pk}"
    shown = (
        cohort.name,
        cohort.course_id,
        cohort.start_date.isoformat(),
        cohort.time_zone,
        cohort.due_time.isoformat(),
    )
    digest = hashlib.sha256(repr((shown, query)).encode()).hexdigest()[:40]
    stamp = f"{cohort.created_at.timestamp():.6f}"
    return f"insights:grid:v1:{kind}:{cohort.pk}:{stamp}:{cohort.grades_version}:{scope}:{digest}"


def grid_get(key: str | None) -> str | None:
    return cache.get(key) if key else None


def grid_put(key: str, content: str, *, until: datetime.datetime | None) -> None:
    """Keep the content until `until` (the next due date passing), at most MAX_SECONDS."""
    seconds = MAX_SECONDS
    if until is not None:
        seconds = min(seconds, int((until - timezone.now()).total_seconds()))
    if seconds > 0:
        cache.set(key, content, timeout=seconds)
