"""The mastery page's content, rendered once per learner and viewer scope and kept until
something it shows can have changed.

A learner's mastery page costs eight queries and about 50 ms of CPU to make (the weeks × Bloom
levels grid of every judged objective, the summary, a chart per criterion beside the cohort's
medians), and what it shows changes only when somebody does something or a due date passes.
So the rendered content (everything below the site's header, which carries the viewer's
navigation) is cached under a key made of:

- the cohort, its creation instant (a restored or re-created database never reads another's
  entries) and `Cohort.grades_version`, which every service that changes what the learner's
  page reads bumps in its own transaction (cohorts.services.cohort_grades_changed: a mentor's
  decision, which also records the objective judgements; extensions; members and mentors);
- `rubrics.selectors.mentor_scores_version()`, the latest mentor assessment id, for the
  cohort's medians beside the learner's trend (the key of the cached medians too);
- the learner, their name, and the viewer's scope: "own" for the learner (the heading says
  "Your mastery"), "staff" for a mentor, instructor or admin who may see it (progress.policies
  decides who; the content is the same for all of them);
- the cohort's name and schedule (start date, time zone, due time: an edit moves every due date).

The key is read before the content is computed, so an entry never holds older data than its
key names. An entry lives until the next due date of the cohort passes (a cell turns from "not
due" to "not assessed"; cohorts.selectors.next_due_passing) and at most MAX_SECONDS: the bound on
the few changes that reach the page without a version (an objective's text edited in the
curriculum admin).

Around it, the whole page (the site's layout with the viewer's navigation) is kept per viewer
by core.pagecache under this key, so a repeat by the same viewer renders no template at all.

Redis down: the fail-soft cache answers every get as a miss (core/cache.py), so the page is
computed as if there were no cache.
"""

import datetime
import hashlib

from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from cohorts.models import Cohort
from rubrics.selectors import mentor_scores_version

MAX_SECONDS = 300


def mastery_key(cohort: Cohort, student: User, *, own: bool) -> str:
    """The cache key of a learner's mastery content for a viewer who is the learner (`own`) or
    may see them (one query: the mentor scores' version)."""
    shown = (
        cohort.name,
        cohort.course_id,
        cohort.start_date.isoformat(),
        cohort.time_zone,
        cohort.due_time.isoformat(),
        student.display_name,
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    stamp = f"{cohort.created_at.timestamp():.6f}"
    scope = "own" if own else "staff"
    return (
        f"progress:mastery:v1:{cohort.pk}:{stamp}:{cohort.grades_version}:{mentor_scores_version()}:"
        f"{student.pk}:{scope}:{digest}"
    )


def content_get(key: str) -> tuple[str, datetime.datetime | None] | None:
    """The content and the moment it stops being true (the next due date passing), if kept."""
    found = cache.get(key)
    return found if isinstance(found, tuple) else None


def content_put(key: str, content: str, *, until: datetime.datetime | None) -> None:
    """Keep the content until `until` (the next due date passing), at most MAX_SECONDS."""
    seconds = MAX_SECONDS
    if until is not None:
        seconds = min(seconds, int((until - timezone.now()).total_seconds()))
    if seconds > 0:
        cache.set(key, (content, until), timeout=seconds)
