"""Report runs, as on the reports pages: request a report (built in the background), list
your own runs, follow one run's progress and download its file. Who may request and read
which run is reports.policies; a run you may not read is 404."""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.idempotency import idempotent
from cohorts.models import Membership
from cohorts.selectors import cohort_get_for_user, cohort_member
from core.http import attachment_response

from . import policies, selectors, services
from .models import ReportRun
from .serializers import (
    ReportListQuery,
    ReportRequestInput,
    ReportRunOutput,
)

# --- Views ---------------------------------------------------------------------------------

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
DOWNLOAD_TYPES = ("text/csv", "text/html", "application/pdf")


@extend_schema_view(
    list=extend_schema(summary="Reports you requested, newest first", tags=["reports"], parameters=[ReportListQuery]),
    create=extend_schema(
        summary="Request a report (built in the background)",
        tags=["reports"],
        request=ReportRequestInput,
        responses={201: ReportRunOutput},
    ),
    retrieve=extend_schema(
        summary="A report run: status and progress", tags=["reports"], parameters=[ID], responses=ReportRunOutput
    ),
    download=extend_schema(
        summary="Download a finished report's file",
        tags=["reports"],
        parameters=[ID],
        responses={
            **{(200, media): OpenApiResponse(OpenApiTypes.BINARY, description="The file") for media in DOWNLOAD_TYPES},
        },
    ),
)
class ReportRunViewSet(viewsets.GenericViewSet):
    serializer_class = ReportRunOutput
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = ReportRun.objects.none()  # reads go through reports.policies.run_get_for_user

    def list(self, request: Request) -> Response:
        query = ReportListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        runs = selectors.runs_of(
            request.user, kind=filters.get("kind"), status=filters.get("status"), cohort_slug=filters.get("cohort")
        )
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(ReportRunOutput(page, many=True, context={"request": request}).data)

    @idempotent
    def create(self, request: Request) -> Response:
        given = ReportRequestInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            cohort = cohort_get_for_user(request.user, data["cohort"])
        except Http404:  # a reference in the body: a field error
            raise exceptions.ValidationError({"cohort": ["You belong to no cohort with this slug."]}) from None
        student = None
        if data["kind"] == ReportRun.Kind.STUDENT:
            student = cohort_member(cohort, data["student"], role=Membership.Role.STUDENT)
            if student is None:
                raise exceptions.ValidationError({"student": ["No student of this cohort has this id."]})
        if not policies.can_request_report(request.user, data["kind"], cohort, student):
            raise exceptions.PermissionDenied("You may not request this report.")
        run = services.report_request(
            kind=data["kind"], fmt=data["format"], cohort=cohort, student=student, by=request.user
        )
        # Read back: without a worker (the embedded default) the build has already run.
        run.refresh_from_db()
        return Response(ReportRunOutput(run, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        run = policies.run_get_for_user(request.user, int(pk))
        response = Response(ReportRunOutput(run, context={"request": request}).data)
        response["Cache-Control"] = "no-store"
        return response

    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        run = policies.run_get_for_user(request.user, int(pk))
        if run.status != ReportRun.Status.SUCCEEDED or not run.file:
            raise Http404("This report has no file yet.")
        return attachment_response(
            run.file, filename=run.file.name.rsplit("/", 1)[-1], content_type=run.content_type, inline_styles=True
        )
