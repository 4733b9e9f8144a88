from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


def course_overview(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    course = selectors.course_get_latest(slug) if slug else selectors.course_default()
    if course is None:
        return render(request, "curriculum/no_course.html", status=404)
    weeks = selectors.course_weeks_with_objectives(course)
    phases = []
    for number in sorted({week.phase for week in weeks}):
        in_phase = [week for week in weeks if week.phase == number]
        phases.append({"number": number, "weeks": in_phase, "first": in_phase[0].number, "last": in_phase[-1].number})
    return render(
        request,
        "curriculum/course_overview.html",
        {"course": course, "phases": phases, "week_count": len(weeks), "projects": selectors.course_capstones(course)},
    )


def week_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    course = selectors.course_get_latest(slug)
    week = selectors.week_get_detail(course, number)
    lab = getattr(week, "lab", None)
    week_count = course.weeks.count()
    context = {
        "course": course,
        "week": week,
        "lab": lab,
        "previous_number": week.number - 1 if week.number > 1 else None,
        "next_number": week.number + 1 if week.number < week_count else None,
    }
    return render(request, "curriculum/week_detail.html", context)
