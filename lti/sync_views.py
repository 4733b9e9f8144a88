"""The LMS sync pages of a cohort: what its grade passback sent and what failed (with a
retry for instructors), and the roster sync from the LMS with its preview."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cohorts.policies import can_manage_cohort

from . import sync_policies as policies
from . import sync_selectors as selectors
from .grade_sync import grade_sync_retry
from .models import GradeSync
from .roster_sync import roster_apply, roster_preview

GRADE_SYNCS_PER_PAGE = 100


def _totals(counts: dict[str, int]) -> dict[str, int]:
    return {
        "sent": counts.get(GradeSync.Status.SENT, 0),
        "waiting": counts.get(GradeSync.Status.PENDING, 0) + counts.get(GradeSync.Status.SENDING, 0),
        "retrying": counts.get(GradeSync.Status.RETRYING, 0),
        "failed": counts.get(GradeSync.Status.FAILED, 0),
    }


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
@require_GET
def grade_syncs(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_grade_syncs(request.user, slug)
    every = can_manage_cohort(request.user, cohort)
    syncs = selectors.grade_syncs_for(cohort, viewer=request.user, sees_every_student=every)
    page = Paginator(syncs, GRADE_SYNCS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "lti/grade_syncs.html",
        {
            "cohort": cohort,
            "context": selectors.context_for_cohort(cohort),
            "page": page,
            "counts": _totals(selectors.grade_sync_counts(cohort)),
            "statuses": GradeSync.Status,
            "can_retry": policies.can_retry_grade_sync(request.user, cohort),
            "can_sync_roster": policies.can_sync_roster(request.user, cohort),
        },
    )


@login_required
@require_POST
def grade_sync_retry_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_grade_syncs(request.user, slug)
    sync = policies.grade_sync_get_for_retry(request.user, cohort, pk)
    try:
        sync = grade_sync_retry(sync=sync, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if sync.status == GradeSync.Status.FAILED:
            messages.error(request, f"Not sent again: {sync.last_error}")
        else:
            messages.success(request, f"The score of {sync.student.display_name} will be sent again.")
    return redirect("lti:grade_syncs", slug=cohort.slug)


@login_required
@require_GET
def roster(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    return render(
        request,
        "lti/roster.html",
        {
            "cohort": cohort,
            "context": selectors.context_for_cohort(cohort),
            "syncs": selectors.roster_syncs_for(cohort),
        },
    )


@login_required
@require_POST
def roster_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    context = selectors.context_for_cohort(cohort)
    if context is None:
        messages.error(request, "This cohort is not linked to an LMS course.")
        return redirect("lti:roster", slug=cohort.slug)
    try:
        sync = roster_preview(context=context, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("lti:roster", slug=cohort.slug)
    return redirect("lti:roster_detail", slug=cohort.slug, pk=sync.pk)


@login_required
@require_GET
def roster_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    sync = policies.roster_sync_get(request.user, cohort, pk)
    return render(request, "lti/roster_detail.html", {"cohort": cohort, "sync": sync, "plan": sync.plan})


@login_required
@require_POST
def roster_apply_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    cohort = policies.cohort_get_for_roster_sync(request.user, slug)
    sync = policies.roster_sync_get(request.user, cohort, pk)
    try:
        sync = roster_apply(sync=sync, by=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        done = sync.result
        messages.success(
            request,
            f"Roster applied: {done['added']} added, {done['changed']} role changed, {done['removed']} removed"
            + (f", {done['skipped']} already done" if done["skipped"] else "")
            + ".",
        )
    return redirect("lti:roster_detail", slug=cohort.slug, pk=sync.pk)
