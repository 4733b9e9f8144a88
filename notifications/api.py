"""Your in-app notifications, as on the notifications page: only the recipient sees one
(notifications.policies); marking read goes through notifications.services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.pagination import CursorPagination

from . import policies, selectors, services
from .models import Notification
from .serializers import (
    MarkAllReadOutput,
    NotificationListQuery,
    NotificationOutput,
)

# --- Views ---------------------------------------------------------------------------------


class NotificationCursorPagination(CursorPagination):
    ordering = ("-created_at", "-pk")


@extend_schema_view(
    list=extend_schema(
        summary="Your notifications, newest first", tags=["notifications"], parameters=[NotificationListQuery]
    ),
    read=extend_schema(
        summary="Mark one of your notifications read",
        tags=["notifications"],
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        request=None,
        responses=NotificationOutput,
    ),
    read_all=extend_schema(
        summary="Mark all your notifications read", tags=["notifications"], request=None, responses=MarkAllReadOutput
    ),
)
class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = NotificationOutput
    pagination_class = NotificationCursorPagination
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = Notification.objects.none()  # reads go through notifications.selectors

    def list(self, request: Request) -> Response:
        query = NotificationListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        notifications = selectors.notifications_for_user(request.user, unread=query.validated_data.get("unread"))
        page = self.paginate_queryset(notifications)
        return self.get_paginated_response(NotificationOutput(page, many=True).data)

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = policies.notification_get_for_user(request.user, int(pk))
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationOutput(notification).data)

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        count = services.notifications_mark_all_read(user=request.user)
        return Response(MarkAllReadOutput({"marked": count}).data)
