"""A learner's grades and mastery pages. Each fetches through progress.policies (404 for
missing and forbidden alike) and reads progress.selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from submissions.selectors import student_cohorts

from . import policies, selectors


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


@login_required
@require_GET
def mastery(request: HttpRequest, slug: str, student_id: int) -> HttpResponse:
    cohort, student = policies.learner_get_for_progress(request.user, slug, student_id)
    return render(
        request,
        "progress/mastery.html",
        {"m": selectors.mastery_for(cohort, student), "is_own": student.pk == request.user.pk},
    )
