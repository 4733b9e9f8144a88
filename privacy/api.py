"""A person's data through the API, as on the "Your data" page: build an archive of your
data (in the background), follow it and download it; ask for your account's erasure (with
your password) and cancel it during the grace period. Someone else's archive or request is
404."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.idempotency import idempotent

from . import selectors, services
from .downloads import export_file_response
from .models import DataExport, ErasureRequest
from .policies import erasure_get_for_user, export_get_for_user
from .serializers import (
    ErasureInput,
    ErasureOutput,
    ExportOutput,
)

# --- Views ---------------------------------------------------------------------------------

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="Your data archives, newest first", tags=["privacy"]),
    create=extend_schema(
        summary="Build an archive of all your data (in the background)",
        tags=["privacy"],
        request=None,
        responses={201: ExportOutput},
    ),
    retrieve=extend_schema(summary="A data archive: status and progress", tags=["privacy"], parameters=[ID]),
    download=extend_schema(
        summary="Download a finished data archive (zip)",
        tags=["privacy"],
        parameters=[ID],
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive")},
    ),
)
class DataExportViewSet(viewsets.GenericViewSet):
    serializer_class = ExportOutput
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = DataExport.objects.none()  # reads go through privacy.policies.export_get_for_user

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.exports_for(request.user))
        return self.get_paginated_response(ExportOutput(page, many=True, context={"request": request}).data)

    @idempotent
    def create(self, request: Request) -> Response:
        export = services.export_request(user=request.user, by=request.user)
        export.refresh_from_db()
        return Response(ExportOutput(export, context={"request": request}).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        export = export_get_for_user(request.user, int(pk))
        response = Response(ExportOutput(export, context={"request": request}).data)
        response["Cache-Control"] = "no-store"
        return response

    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> FileResponse:
        return export_file_response(export_get_for_user(request.user, int(pk)))


@extend_schema_view(
    list=extend_schema(summary="Your account's erasure requests, newest first", tags=["privacy"]),
    create=extend_schema(
        summary="Ask for your account to be erased (after the grace period)",
        tags=["privacy"],
        request=ErasureInput,
        responses={201: ErasureOutput},
    ),
    cancel=extend_schema(
        summary="Cancel a scheduled erasure", tags=["privacy"], parameters=[ID], request=None, responses=ErasureOutput
    ),
)
class ErasureRequestViewSet(viewsets.GenericViewSet):
    serializer_class = ErasureOutput
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = ErasureRequest.objects.none()  # reads go through privacy.policies.erasure_get_for_user

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.erasures_for(request.user))
        return self.get_paginated_response(ErasureOutput(page, many=True).data)

    def create(self, request: Request) -> Response:
        given = ErasureInput(data=request.data)
        given.is_valid(raise_exception=True)
        erasure = services.erasure_request(
            user=request.user, by=request.user, password=given.validated_data["password"]
        )
        return Response(ErasureOutput(erasure).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        erasure = erasure_get_for_user(request.user, int(pk))
        erasure = services.erasure_cancel(request=erasure, by=request.user)
        return Response(ErasureOutput(erasure).data)
