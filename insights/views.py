"""The insights pages: where to start, the at-risk list and its rules, review turnaround,
curriculum coverage, the gradebook and the heatmap. Small function views: access function,
form, service, render.

The gradebook and heatmap pages live here, above the review app, and not in rubrics: the
at-risk rule and list belong to insights, and the gradebook and heatmap filter and mark
at-risk students. A view in rubrics could not ask insights (the layers forbid it); from here
the view passes the students to keep and to mark to the one computation,
rubrics.selectors.gradebook_page. The old address, /review/cohorts/<slug>/gradebook/,
redirects here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, is_platform_admin
from cohorts.selectors import (
    MembershipStamp,
    membership_stamps,
    next_due_passing,
    stamp_of_cohort,
    stamp_of_cohort_row,
)
from core import pagecache
from curriculum.selectors import course_default, course_get_latest
from rubrics import selectors as grades
from rubrics.policies import cohort_get_for_gradebook

from . import grid_cache, policies, selectors, services
from .forms import AtRiskRulesForm, GradebookQueryForm, TurnaroundPeriodForm
from .grid import gradebook_row_html, heatmap_row_html, heatmap_titles
from .models import MAX_WEEKS
from .panels import GRADES
from .services import RULE_FIELDS

PAGE_SIZE = 50


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    cohorts = selectors.cohorts_with_insights(request.user)
    show_coverage = policies.can_view_coverage(request.user)
    if not cohorts and not show_coverage:
        raise PermissionDenied("Insights are for a cohort's mentors and instructors.")
    return render(request, "insights/index.html", {"cohorts": cohorts, "show_coverage": show_coverage})


def at_risk_fast_parts(*, user: User, stamps: tuple[MembershipStamp, ...], slug: str) -> tuple | None:
    """What decides the at-risk list besides the viewer's user row, its URL and the layout, so
    that courseplatform/fast_path.py answers a repeat with these alone (no query): the viewer's
    stamp of the cohort (their role, which decides the access and whose students they follow;
    grades_version, bumped by every change of the rules and of their inputs: works, scores,
    retrospectives, risks, members, mentors, extensions) and whether they are a platform admin.
    None for a cohort the viewer is no member of (an admin's view: the full path), and for a
    student, who is refused the page (nothing to find)."""
    stamp = stamp_of_cohort(stamps, slug=slug)
    admin = is_platform_admin(user)
    if stamp is None or (stamp.role == Membership.Role.STUDENT and not admin):
        return None
    return (stamp, admin)


@login_required
@require_GET
def at_risk(request: HttpRequest, slug: str) -> HttpResponse:
    """The at-risk list, kept whole by core.pagecache per viewer and page until the viewer's
    stamp of the cohort changes (grades_version: the rules and every input of them) or the next
    due date passes (a student falls behind with nothing written), at most
    pagecache.MAX_SECONDS (a student renaming themselves)."""
    # Read before the cohort, so that the fast key is never newer than the page's own.
    fast = at_risk_fast_parts(user=request.user, stamps=membership_stamps(request.user), slug=slug)
    cohort = policies.cohort_get_for_insights(request.user, slug)
    parts = fast
    if parts is None and is_platform_admin(request.user):
        # No member: the cohort row just read holds grades_version and what the page shows of it.
        parts = (stamp_of_cohort_row(cohort, role=None), True)
    key = None
    if parts is not None and pagecache.query_is(request, ("page",)):
        key = pagecache.page_key(request, "insights-at-risk", parts)

    def build() -> pagecache.BuildResult:
        now = timezone.now()
        rules = selectors.at_risk_rules_for(cohort)
        manages = policies.can_tune_at_risk_rules(request.user, cohort)
        followed = selectors.at_risk_followed(cohort, request.user, manages=manages, rules=rules, now=now)
        # Only the page's 50 students are read as users; the map says who and why.
        page = Paginator(followed.students(), PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = followed.rows(page.object_list)
        response = pagecache.render(
            request,
            "insights/at_risk.html",
            {
                "cohort": cohort,
                "page": page,
                "at_risk_count": len(followed.found),
                "student_count": followed.followed,
                "rules": [(AtRiskRulesForm.Meta.labels[name], getattr(rules, name)) for name in RULE_FIELDS],
                # Those who tune the rules are those who see every student (policies.sees_every_student).
                "can_tune": manages,
                "whole_cohort": manages,
            },
        )
        # "Behind" and "open after its week was due" change when a due date passes, with no write.
        return response, next_due_passing(cohort, numbers=range(1, MAX_WEEKS + 1), now=now)

    return pagecache.respond(request, key, build, fast=fast)


@login_required
@require_http_methods(["GET", "POST"])
def at_risk_rules(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_insights(request.user, slug)
    if not policies.can_tune_at_risk_rules(request.user, cohort):
        raise PermissionDenied("Only the cohort's instructors change its at-risk rules.")
    rules = selectors.at_risk_rules_for(cohort)
    form = AtRiskRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        services.at_risk_rules_update(cohort=cohort, **{name: form.cleaned_data[name] for name in RULE_FIELDS})
        messages.success(request, "At-risk rules saved; the list below follows them.")
        return redirect("insights:at_risk", slug=cohort.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "insights/at_risk_rules.html", {"cohort": cohort, "form": form}, status=status)


@login_required
@require_GET
def turnaround(request: HttpRequest, slug: str) -> HttpResponse:
    cohort = policies.cohort_get_for_insights(request.user, slug)
    default_start, default_end = selectors.default_period(cohort, timezone.now())
    data = request.GET if "start" in request.GET or "end" in request.GET else None
    form = TurnaroundPeriodForm(data, initial={"start": default_start, "end": default_end})
    report = None
    if data is None:
        start, end = default_start, default_end
    elif form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    else:
        start = end = None
    if start is not None:
        mine_only = None if policies.sees_every_student(request.user, cohort) else [request.user.pk]
        report = selectors.review_turnaround(cohort, start=start, end=end, reviewer_ids=mine_only)
    return render(
        request,
        "insights/turnaround.html",
        {"cohort": cohort, "form": form, "report": report},
        status=200 if report is not None else 400,
    )


@login_required
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    if not policies.can_view_coverage(request.user):
        raise PermissionDenied("Curriculum coverage is for instructors and staff.")
    slug = request.GET.get("course")
    course = course_get_latest(slug) if slug else course_default()
    if course is None:
        raise Http404("No course is imported yet.")
    return render(request, "insights/coverage.html", {"coverage": selectors.curriculum_coverage(course)})


# --- Gradebook and heatmap ----------------------------------------------------------------------


def _page(request: HttpRequest, cohort: Cohort, manages: bool) -> tuple[grades.GradebookPage, GradebookQueryForm]:
    columns = grades.gradebook_columns(cohort)
    mentors = grades.gradebook_mentor_choices(cohort) if manages else []
    form = GradebookQueryForm(request.GET, columns=columns, mentors=mentors)
    query = form.query()
    if form.at_risk_only():
        flagged = set(selectors.at_risk_followed(cohort, request.user, manages=manages).found)
        page = grades.gradebook_page(
            cohort, request.user, query, columns=columns, manages=manages, keep_ids=flagged, marked_ids=flagged
        )
    else:
        page = grades.gradebook_page(cohort, request.user, query, columns=columns, manages=manages)
        # The viewer's at-risk map when the list, its API or the filter made it since the last
        # change; else only the page's students (50 at most) are checked, which costs a page's
        # worth of rows however large the cohort is.
        followed = selectors.at_risk_followed(cohort, request.user, manages=manages, cached_only=True)
        if followed is not None:
            flagged = set(followed.found)
        else:
            flagged = set(selectors.at_risk_students(cohort, student_ids=[row.student_id for row in page.rows]))
        for row in page.rows:
            row.marked = row.student_id in flagged
    return page, form


def _links(page: grades.GradebookPage, *, at_risk_only: bool) -> dict:
    """The query strings of the sort headers and the next/previous links, keeping the filters."""
    query = page.query
    kept = {k: v for k, v in (("mentor", query.mentor_id), ("status", query.status)) if v is not None}
    if at_risk_only:
        kept["at_risk"] = "on"

    def sort_link(key: str) -> str:
        descending = not query.descending if key == query.sort else key != "name"
        return "?" + urlencode({**kept, "sort": key, "dir": "desc" if descending else "asc"})

    def header(key: str, label: str, title: str = "") -> dict:
        sorted_here = key == query.sort
        return {
            "key": key,
            "label": label,
            "title": title,
            "href": sort_link(key),
            "aria_sort": ("descending" if query.descending else "ascending") if sorted_here else None,
        }

    current = {**kept, "sort": query.sort, "dir": "desc" if query.descending else "asc"}
    return {
        "name_header": header("name", "Student"),
        "total_headers": [header("total", "Total"), header("average", "Average")],
        "column_headers": [header(c.key, c.label, c.title) for c in page.columns],
        "column_averages": [grades.format_score(a) for a in page.column_averages],
        "page_size": grades.GRADEBOOK_PAGE_SIZE,
        "next_url": "?" + urlencode({**current, "after": page.next_cursor}) if page.next_cursor else None,
        "previous_url": "?" + urlencode({**current, "before": page.previous_cursor}) if page.previous_cursor else None,
    }


def _grid_rows(kind: str, page: grades.GradebookPage) -> list:
    # One URL prefix per page instead of reversing a URL per row and cell.
    progress_base = reverse("rubrics:progress", args=[page.cohort.slug, 0]).removesuffix("0/progress/")
    if kind == "heatmap":
        titles = heatmap_titles(page.columns)
        return [
            heatmap_row_html(row, titles=titles, progress_url=f"{progress_base}{row.student_id}/progress/")
            for row in page.rows
        ]
    score_base = reverse("rubrics:queue") + "revisions/"
    return [
        gradebook_row_html(row, progress_url=f"{progress_base}{row.student_id}/progress/", score_base=score_base)
        for row in page.rows
    ]


def grid_fast_parts(*, user: User, stamps: tuple[MembershipStamp, ...], slug: str, **url_kwargs) -> tuple | None:
    """What decides a gradebook or heatmap page besides the viewer's user row, its URL and the
    layout, so that courseplatform/fast_path.py answers a repeat with these alone: the viewer's
    stamp of the cohort (every field of the cohort that grid_key reads, and their role there,
    which with the user row decides the access and the scope) and the panels' versions (no
    query). None for a cohort the viewer is no member of (an admin's view: the full path)."""
    stamp = stamp_of_cohort(stamps, slug=slug)
    if stamp is None:
        return None
    panel_parts = GRADES.key_parts(cohort_id=stamp.cohort_id)
    return None if panel_parts is None else (stamp, panel_parts)


def _grid_page(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    """The gradebook or the heatmap, kept whole by core.pagecache per viewer and query string
    until the cohort's grades_version, its schedule or name, the panels' versions (the LMS
    grade syncs: GRADES.key_parts) or what the layout shows of the viewer change, or a due date
    passes. On a miss its content (the grid) may still come from insights/grid_cache.py, which
    keeps it for every viewer of the same scope."""
    # Read before the cohort, so that the fast key is never newer than the page's own.
    fast = grid_fast_parts(user=request.user, stamps=membership_stamps(request.user), slug=slug)
    cohort = cohort_get_for_gradebook(request.user, slug)
    manages = can_manage_cohort(request.user, cohort)
    key = grid_cache.grid_key(kind, cohort, request.user, sees_every_student=manages, params=request.GET)
    panel_parts = fast[1] if fast is not None else GRADES.key_parts(cohort_id=cohort.pk)
    page_key = None
    if key is not None and panel_parts is not None and pagecache.query_is(request, grid_cache.QUERY_FIELDS):
        page_key = pagecache.page_key(request, f"insights-{kind}", key, panel_parts)

    def build() -> pagecache.BuildResult:
        now = timezone.now()
        content = grid_cache.grid_get(key)
        context: dict = {"cohort": cohort}
        exact, until = True, None
        if content is None:
            page, form = _page(request, cohort, manages)
            context.update(
                book=page,
                rows=_grid_rows(kind, page),
                form=form,
                manages=manages,
                **_links(page, at_risk_only=form.at_risk_only()),
            )
            # No context processors for the content (the site's header, rendered around it, has
            # them): it needs only the request's path and query string.
            content = render_to_string(f"insights/_{kind}.html", {**context, "request": request})
            exact = form.is_exact()
            if key is not None and exact:
                numbers = {column.due_week.number for column in page.columns}
                until = next_due_passing(cohort, numbers=numbers, now=now)
                grid_cache.grid_put(key, content, until=until)
        panels = GRADES.panels(cohort=cohort, user=request.user, manages=manages)
        response = pagecache.render(
            request, f"insights/{kind}.html", {**context, "grid": mark_safe(content), "panels": panels}
        )
        if not exact:  # a query string the form corrected is answered, never kept (as the grid)
            return response, now
        if until is None:  # the grid came from its cache: when the page would change by itself
            until = next_due_passing(cohort, numbers=range(1, MAX_WEEKS + 1), now=now)
        return response, until

    return pagecache.respond(request, page_key, build, fast=fast)


@login_required
@require_GET
def gradebook(request: HttpRequest, slug: str) -> HttpResponse:
    return _grid_page(request, slug, "gradebook")


@login_required
@require_GET
def heatmap(request: HttpRequest, slug: str) -> HttpResponse:
    return _grid_page(request, slug, "heatmap")
