"""Reads of the LTI app: the launch waiting in the session, where a launch leads, and the LMS
syncs that the sync pages and the gradebook panel share."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import User
from cohorts.models import Cohort, MentorAssignment
from core.cache import LocalMirror

from .claims import Launch
from .models import Context, GradeSync, ResourceLink, RosterSync

PENDING_SESSION_KEY = "lti.launch"
# How long a process trusts its copy of a panel version without hearing of a change: only a
# deletion lost in a network partition could last that long (core.cache.LocalMirror).
PANEL_VERSION_MIRROR_SECONDS = 60


def grades_panel_version_key(cohort_id: int) -> str:
    return f"lti:grades-panel:v1:{cohort_id}"


# Every web process keeps the versions it read and drops one the moment any process replaces
# it (core.cache.LocalMirror: a deletion announced over Redis). A repeat of a cached gradebook
# page reads its panel's version on every request: from the process, it costs no round trip,
# where a Redis GET was a tenth of the page's CPU (docs/performance.md, 6 December).
panel_versions = LocalMirror(seconds=PANEL_VERSION_MIRROR_SECONDS)


def grades_panel_version(cohort_id: int) -> str:
    """The version of what the gradebook's LMS panel shows for the cohort (its LMS course and
    how many scores were sent, wait or failed): a token in the shared cache that
    lti.services.grades_panel_changed drops whenever any of it changes. No query: it is read on
    every request for a cached gradebook page. A token nobody set yet (a new cohort, one just
    dropped, an evicted entry, the cache just emptied) is made now; a fresh random one can
    never name an entry made under an earlier one."""
    key = grades_panel_version_key(cohort_id)
    version = panel_versions.get(key)
    if version is None:
        version = secrets.token_hex(8)
        if not cache.add(key, version, timeout=None):
            version = cache.get(key) or version
    return version


def pending_launch(request: HttpRequest) -> Launch | None:
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return Launch.from_session(data)
    except TypeError:  # a session from an older shape of the launch
        return None


def destination(*, role: str, cohort: Cohort, link: ResourceLink) -> str:
    """A learner lands in the workspace of the week (or deliverable) the link opens, or their
    dashboard for a link without one; a mentor in the review queue; an instructor in the
    cohort's gradebook."""
    if role == "student":
        if link.week_id:
            return reverse("submissions:open_week", kwargs={"slug": cohort.slug, "number": link.week.number})
        if link.deliverable_id:
            return reverse(
                "submissions:open_deliverable", kwargs={"slug": cohort.slug, "deliverable_id": link.deliverable_id}
            )
        return reverse("submissions:dashboard_cohort", kwargs={"slug": cohort.slug})
    if role == "mentor":
        return reverse("rubrics:queue")
    return reverse("insights:gradebook", kwargs={"slug": cohort.slug})


def context_for_cohort(cohort: Cohort) -> Context | None:
    return Context.objects.select_related("platform").filter(cohort=cohort).first()


def grade_syncs_for(cohort: Cohort, *, viewer: User, sees_every_student: bool) -> QuerySet[GradeSync]:
    """The cohort's grade syncs, newest decision first; a mentor's only for their students.
    One query with the student, week and deliverable joined."""
    syncs = GradeSync.objects.filter(context__cohort=cohort)
    if not sees_every_student:
        syncs = syncs.filter(
            student_id__in=MentorAssignment.objects.filter(cohort=cohort, mentor=viewer).values("student_id")
        )
    return syncs.select_related("student", "work__week", "work__deliverable").order_by("-timestamp", "-pk")


def grade_sync_counts(cohort: Cohort) -> dict[str, int]:
    """How many of the cohort's decisions are in each state (one query; empty for a cohort
    that is no LMS course)."""
    rows = GradeSync.objects.filter(context__cohort=cohort).values("status").annotate(n=Count("pk")).order_by()
    return {row["status"]: row["n"] for row in rows}


def roster_syncs_for(cohort: Cohort, *, limit: int = 10) -> list[RosterSync]:
    return list(RosterSync.objects.filter(cohort=cohort).select_related("requested_by", "applied_by")[:limit])
