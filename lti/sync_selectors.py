"""Reads of the LMS syncs that the sync pages and the gradebook panel share."""

from django.db.models import Count, QuerySet

from accounts.models import User
from cohorts.models import Cohort, MentorAssignment

from .models import Context, GradeSync, RosterSync


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
