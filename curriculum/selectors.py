"""Curriculum reads shared by pages, the API and other apps."""

from django.db.models import Prefetch
from django.http import Http404

from .models import CapstoneDeliverable, CapstoneProject, Course, Objective, QualityGate, Week


def course_default() -> Course | None:
    """The course the platform presents: the newest version of the (single) course."""
    return Course.objects.latest_versions().order_by("slug").first()


def course_get_latest(slug: str) -> Course:
    course = Course.objects.filter(slug=slug).order_by("-version").first()
    if course is None:
        raise Http404("No such course.")
    return course


def _objectives_prefetch() -> Prefetch:
    return Prefetch("objectives", queryset=Objective.objects.select_related("bloom_level").order_by("order"))


def course_weeks_with_objectives(course: Course) -> list[Week]:
    """Every week with its lab, objectives and their Bloom levels, in two queries."""
    return list(Week.objects.for_course(course).select_related("lab").prefetch_related(_objectives_prefetch()))


def course_capstones(course: Course) -> list[CapstoneProject]:
    deliverables = CapstoneDeliverable.objects.select_related("due_week").order_by("order")
    return list(
        CapstoneProject.objects.filter(course=course)
        .order_by("number")
        .prefetch_related(Prefetch("deliverables", queryset=deliverables))
    )


def week_get_detail(course: Course, number: int) -> Week:
    """One week with objectives, lab and quality gates, and its capstone deliverables."""
    week = (
        Week.objects.filter(course=course, number=number)
        .select_related("course", "lab")
        .prefetch_related(
            _objectives_prefetch(),
            Prefetch("lab__quality_gates", queryset=QualityGate.objects.order_by("order")),
            Prefetch("capstone_deliverables_due", queryset=CapstoneDeliverable.objects.select_related("project")),
        )
        .first()
    )
    if week is None:
        raise Http404("No such week.")
    return week
