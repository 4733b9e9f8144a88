"""Who may see and act on the LMS syncs of a cohort (grade passback, roster sync). Access
functions fetch and check together; missing and forbidden are the same 404."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from cohorts.models import Cohort
from cohorts.policies import can_manage_cohort
from rubrics.policies import can_view_gradebook, cohort_get_for_gradebook

from .models import GradeSync, RosterSync


def can_view_grade_syncs(user: User, cohort: Cohort) -> bool:
    """Who reads the gradebook reads what of it went to the LMS: the cohort's mentors (their
    own students' rows) and instructors, and platform admins."""
    return can_view_gradebook(user, cohort)


def can_retry_grade_sync(user: User, cohort: Cohort) -> bool:
    return user.is_active and can_manage_cohort(user, cohort)


def can_sync_roster(user: User, cohort: Cohort) -> bool:
    """Changing who is in the cohort is managing it: its instructors, platform admins."""
    return user.is_active and can_manage_cohort(user, cohort)


def cohort_get_for_grade_syncs(user: User, slug: str) -> Cohort:
    return cohort_get_for_gradebook(user, slug)


def cohort_get_for_roster_sync(user: User, slug: str) -> Cohort:
    cohort = cohort_get_for_gradebook(user, slug)
    if not can_sync_roster(user, cohort):
        raise Http404("No such cohort.")
    return cohort


def grade_sync_get_for_retry(user: User, cohort: Cohort, pk: int) -> GradeSync:
    if not can_retry_grade_sync(user, cohort):
        raise Http404("No such grade sync.")
    return get_object_or_404(GradeSync, pk=pk, context__cohort=cohort)


def roster_sync_get(user: User, cohort: Cohort, pk: int) -> RosterSync:
    if not can_sync_roster(user, cohort):
        raise Http404("No such roster sync.")
    return get_object_or_404(RosterSync.objects.select_related("requested_by", "applied_by"), pk=pk, cohort=cohort)
