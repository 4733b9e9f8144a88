"""A learner's grades and mastery pages. Each fetches through progress.policies (404 for
missing and forbidden alike) and reads progress.selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.models import User
from cohorts.selectors import MembershipStamp, membership_stamps, next_due_passing
from core import pagecache
from submissions.selectors import student_cohorts

from . import page_cache, policies, selectors


def _own(request: HttpRequest, page: str) -> HttpResponse:
    cohorts = student_cohorts(request.user)
    if not cohorts:
        return render(request, "submissions/no_cohort.html")
    return redirect(page, slug=cohorts[0].slug, student_id=request.user.pk)


@login_required
@require_GET
def my_grades(request: HttpRequest) -> HttpResponse:
    """The navigation's "Grades": the student's pages of their latest cohort."""
    return _own(request, "progress:grades")


@login_required
@require_GET
def my_mastery(request: HttpRequest) -> HttpResponse:
    return _own(request, "progress:mastery")


@login_required
@require_GET
def grades(request: HttpRequest, slug: str, student_id: int) -> HttpResponse:
    cohort, student = policies.learner_get_for_progress(request.user, slug, student_id)
    return render(
        request,
        "progress/grades.html",
        {"g": selectors.grades_for(cohort, student), "is_own": student.pk == request.user.pk},
    )


def mastery_fast_parts(
    *, user: User, stamps: tuple[MembershipStamp, ...], student_id: int, **url_kwargs
) -> tuple | None:
    """A learner's own mastery page is answered before the middleware too
    (courseplatform/fast_path.py), keyed by their membership stamps: they hold every part of
    content_key's but the mentor scores' version, which only moves for this cohort with a
    mentor assessment of its work, and that bumps its grades_version in the same transaction
    (rubrics.services._store_assessment). A mentor's view shows the learner's name, which the
    stamps do not hold: None."""
    return stamps if student_id == user.pk else None


@login_required
@require_GET
def mastery(request: HttpRequest, slug: str, student_id: int) -> HttpResponse:
    """The whole page from the cache when this viewer asked for it since anything it shows
    last changed (core/pagecache.py); else its content from the cache when it was made for this
    viewer scope (progress/page_cache.py); else computed, rendered and kept."""
    # The stamps are read first, so that the fast key is never newer than the page's own.
    fast = (
        mastery_fast_parts(user=request.user, stamps=membership_stamps(request.user), student_id=student_id)
        if student_id == request.user.pk
        else None
    )
    cohort, student = policies.learner_get_for_progress(request.user, slug, student_id)
    is_own = student.pk == request.user.pk
    content_key = page_cache.mastery_key(cohort, student, own=is_own)
    key = pagecache.page_key(request, "mastery", content_key) if pagecache.query_is(request, []) else None

    def build() -> pagecache.BuildResult:
        found = page_cache.content_get(content_key)
        if found is None:
            now = timezone.now()
            mastery_now = selectors.mastery_for(cohort, student, now=now)
            # No request and no context processors: the site's header around it has them.
            content = render_to_string("progress/_mastery.html", {"m": mastery_now, "is_own": is_own})
            until = next_due_passing(cohort, numbers=[week.number for week in mastery_now.weeks], now=now)
            page_cache.content_put(content_key, content, until=until)
        else:
            content, until = found
        response = pagecache.render(
            request,
            "progress/mastery.html",
            {"cohort": cohort, "student": student, "content": mark_safe(content)},  # rendered by us, escaped there
        )
        return response, until

    return pagecache.respond(request, key, build, fast=fast)
