"""Curriculum reads shared by pages, the API and other apps."""

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from .models import BloomLevel, CapstoneDeliverable, CapstoneProject, Course, Objective, QualityGate, Week


def course_default() -> Course | None:
    """The course the platform presents: the newest version of the (single) course."""
    return Course.objects.latest_versions().order_by("slug").first()


def course_get_latest(slug: str) -> Course:
    course = Course.objects.filter(slug=slug).order_by("-version").first()
    if course is None:
        raise Http404("No such course.")
    return course


def course_get_version(slug: str, version: int) -> Course:
    course = Course.objects.filter(slug=slug, version=version).first()
    if course is None:
        raise Http404("No such course version.")
    return course


def courses_latest() -> QuerySet[Course]:
    """The newest version of each course, with its number of weeks, by slug."""
    return Course.objects.latest_versions().annotate(week_count=Count("weeks")).order_by("slug")


def bloom_levels() -> QuerySet[BloomLevel]:
    """The six levels of the revised taxonomy, lowest first."""
    return BloomLevel.objects.order_by("rank")


def _objectives_prefetch() -> Prefetch:
    return Prefetch("objectives", queryset=Objective.objects.select_related("bloom_level").order_by("order"))


def course_week_list(course: Course) -> list[Week]:
    """The course's weeks in order, without their contents (one query)."""
    return list(Week.objects.for_course(course))


def course_weeks_with_objectives(course: Course) -> list[Week]:
    """Every week with its lab, objectives and their Bloom levels, in two queries."""
    return list(course_weeks(course).select_related("lab"))


def course_weeks(
    course: Course, *, number_min: int | None = None, number_max: int | None = None, phase: int | None = None
) -> QuerySet[Week]:
    """The course's weeks in order with their objectives (prefetched), optionally only
    those numbered from `number_min` to `number_max` or in one phase."""
    weeks = Week.objects.for_course(course).prefetch_related(_objectives_prefetch())
    if number_min is not None:
        weeks = weeks.filter(number__gte=number_min)
    if number_max is not None:
        weeks = weeks.filter(number__lte=number_max)
    if phase is not None:
        weeks = weeks.in_phase(phase)
    return weeks


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


def course_week(course: Course, number: int) -> Week | None:
    """The course's week with this number, if it has one."""
    return Week.objects.for_course(course).filter(number=number).first()


def course_deliverable(course: Course, pk: int) -> CapstoneDeliverable | None:
    """A capstone deliverable of one of the course's projects (with its project), if it is one."""
    return (
        CapstoneDeliverable.objects.select_related("project", "due_week").filter(pk=pk, project__course=course).first()
    )


def week_outcomes(week: Week) -> list[Objective]:
    """The week's Bloom-leveled outcome objectives in order (the routine habits left out)."""
    return list(
        Objective.objects.filter(week=week, kind=Objective.Kind.OUTCOME).select_related("bloom_level").order_by("order")
    )


def week_quality_gates(week: Week) -> list[QualityGate]:
    """The quality gates of the week's lab, in order."""
    return list(QualityGate.objects.filter(lab__week=week).order_by("order"))


def objective_get(course: Course, week_number: int, order: int) -> Objective:
    """One objective of a course's week, by its order, with its Bloom level; 404 otherwise."""
    objective = (
        Objective.objects.select_related("bloom_level")
        .filter(week__course=course, week__number=week_number, order=order)
        .first()
    )
    if objective is None:
        raise Http404("No such objective.")
    return objective
