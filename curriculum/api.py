"""Curriculum API: public reads, like the course pages (bodies carry ETags); curriculum
editors (the admin's change permission) may change an objective, under the same rule as the
admin: the level follows the verb unless overridden."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsAuthenticatedWithScope, ReadableByAnyoneWithScope
from api.etag import ETagMixin

from . import policies, selectors, services
from .models import Course, Objective
from .serializers import (
    BloomLevelOutput,
    CapstoneOutput,
    CourseDetailOutput,
    CourseOutput,
    ObjectiveOutput,
    ObjectiveUpdateInput,
    VersionQuery,
    WeekDetailOutput,
    WeekFilterQuery,
    WeekOutput,
)

# --- Views ---------------------------------------------------------------------------------

COURSE_SLUG = OpenApiParameter("course_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The course slug.")


def course_for_request(request: Request, slug: str) -> Course:
    query = VersionQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    version = query.validated_data.get("version")
    if version is None:
        return selectors.course_get_latest(slug)
    return selectors.course_get_version(slug, version)


class _Public:
    permission_classes = [ReadableByAnyoneWithScope]


@extend_schema_view(list=extend_schema(summary="The six Bloom levels, lowest first", tags=["curriculum"]))
class BloomLevelViewSet(_Public, ETagMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BloomLevelOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.bloom_levels()


@extend_schema_view(
    list=extend_schema(summary="Courses (newest version of each)", tags=["curriculum"]),
    retrieve=extend_schema(
        summary="A course with its weeks", tags=["curriculum"], parameters=[VersionQuery], responses=CourseDetailOutput
    ),
)
class CourseViewSet(_Public, ETagMixin, viewsets.GenericViewSet):
    serializer_class = CourseOutput
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.courses_latest())
        return self.get_paginated_response(CourseOutput(page, many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        course = course_for_request(request, slug)
        course.week_list = selectors.course_week_list(course)
        course.week_count = len(course.week_list)
        return Response(CourseDetailOutput(course).data)


@extend_schema_view(
    list=extend_schema(
        summary="Weeks of a course with objectives", tags=["curriculum"], parameters=[COURSE_SLUG, WeekFilterQuery]
    ),
    retrieve=extend_schema(
        summary="One week: objectives, lab, quality gates, capstone deliverables due",
        tags=["curriculum"],
        parameters=[COURSE_SLUG, VersionQuery, OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=WeekDetailOutput,
    ),
)
class WeekViewSet(_Public, ETagMixin, viewsets.GenericViewSet):
    serializer_class = WeekOutput
    lookup_field = "number"
    lookup_value_regex = r"[0-9]{1,5}"

    def list(self, request: Request, course_slug: str) -> Response:
        query = WeekFilterQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        course = course_for_request(request, course_slug)
        filters = query.validated_data
        weeks = selectors.course_weeks(
            course,
            number_min=filters.get("number_min"),
            number_max=filters.get("number_max"),
            phase=filters.get("phase"),
        )
        page = self.paginate_queryset(weeks)
        return self.get_paginated_response(WeekOutput(page, many=True).data)

    def retrieve(self, request: Request, course_slug: str, number: str) -> Response:
        course = course_for_request(request, course_slug)
        week = selectors.week_get_detail(course, int(number))
        return Response(WeekDetailOutput(week).data)


@extend_schema_view(
    list=extend_schema(
        summary="Capstone projects and their deliverables", tags=["curriculum"], parameters=[COURSE_SLUG, VersionQuery]
    )
)
class CapstoneViewSet(_Public, ETagMixin, viewsets.GenericViewSet):
    serializer_class = CapstoneOutput
    pagination_class = None

    def list(self, request: Request, course_slug: str) -> Response:
        course = course_for_request(request, course_slug)
        return Response(CapstoneOutput(selectors.course_capstones(course), many=True).data)


OBJECTIVE_PATH = [
    COURSE_SLUG,
    OpenApiParameter("week_number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The week's number."),
    OpenApiParameter("order", OpenApiTypes.INT, OpenApiParameter.PATH, description="The objective's place (1–8)."),
]


@extend_schema_view(
    retrieve=extend_schema(
        summary="One objective of a week", tags=["curriculum"], parameters=[*OBJECTIVE_PATH, VersionQuery]
    ),
    partial_update=extend_schema(
        summary="Change an objective's verb, text or Bloom level (curriculum editors)",
        description="The level follows the verb through the Bloom verb mapping unless `bloom_level_overridden` is "
        "true. A verb the mapping lacks is refused (400) unless the level is overridden.",
        tags=["curriculum"],
        parameters=[*OBJECTIVE_PATH, VersionQuery],
        request=ObjectiveUpdateInput,
        responses=ObjectiveOutput,
    ),
)
class ObjectiveViewSet(ETagMixin, viewsets.GenericViewSet):
    serializer_class = ObjectiveOutput
    lookup_field = "order"
    lookup_value_regex = r"[0-9]{1,5}"
    http_method_names = ["get", "patch", "head", "options"]

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [IsAuthenticatedWithScope()]
        return [ReadableByAnyoneWithScope()]

    def _objective(self, request: Request, course_slug: str, week_number: str, order: str) -> Objective:
        course = course_for_request(request, course_slug)
        return selectors.objective_get(course, int(week_number), int(order))

    def retrieve(self, request: Request, course_slug: str, week_number: str, order: str) -> Response:
        return Response(ObjectiveOutput(self._objective(request, course_slug, week_number, order)).data)

    def partial_update(self, request: Request, course_slug: str, week_number: str, order: str) -> Response:
        if not policies.can_edit(request.user, "objective"):
            raise exceptions.PermissionDenied("Changing the curriculum needs the permission to change objectives.")
        objective = self._objective(request, course_slug, week_number, order)
        given = ObjectiveUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        services.objective_update(objective=objective, user=request.user, **given.validated_data)
        return Response(ObjectiveOutput(objective).data)
