"""Comment threads, as on the review pages and the workspace: the threads of a revision you
may read, opening one, replying, resolving, reopening and marking addressed.
feedback.policies decides; feedback.services acts; selectors name the authors."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.exceptions import validation_error_from_django
from api.idempotency import idempotent
from api.pagination import PageNumberPagination

from . import policies, selectors, services
from .models import Thread
from .serializers import AddressedInput, ReplyInput, ThreadCreateInput, ThreadOutput

REVISION_ID = OpenApiParameter("revision_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A revision id.")
THREAD_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A thread id.")
FIELD_MAP = {"artifact": "artifact_id", "__all__": "non_field_errors"}


def _act(call):
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        raise validation_error_from_django(exc, FIELD_MAP) from exc


@extend_schema_view(
    list=extend_schema(
        summary="The comment threads anchored in a revision that you may read",
        tags=["feedback"],
        parameters=[REVISION_ID],
        responses=ThreadOutput(many=True),
    ),
    create=extend_schema(
        summary="Open a thread: on selected text of a section, a whole section or an evidence item",
        tags=["feedback"],
        parameters=[REVISION_ID],
        request=ThreadCreateInput,
        responses={201: ThreadOutput},
    ),
)
class RevisionThreadViewSet(viewsets.GenericViewSet):
    serializer_class = ThreadOutput
    pagination_class = PageNumberPagination
    queryset = Thread.objects.none()  # reads go through policies and selectors

    def list(self, request: Request, revision_id: str) -> Response:
        revision, _assignment = policies.revision_get_for_threads(request.user, int(revision_id))
        views = selectors.threads_on_revision(revision, request.user)
        page = self.paginate_queryset(views)
        return self.get_paginated_response(ThreadOutput(page, many=True).data)

    @idempotent
    def create(self, request: Request, revision_id: str) -> Response:
        revision, _assignment = policies.revision_get_for_threads(request.user, int(revision_id))
        given = ThreadCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        thread = _act(
            lambda: services.thread_open(
                revision=revision,
                by=request.user,
                body=data["body"],
                section=data["section"],
                quote=data["quote"],
                prefix=data["prefix"],
                suffix=data["suffix"],
                artifact_id=data["artifact_id"],
            )
        )
        view = selectors.thread_view(thread, request.user)
        return Response(ThreadOutput(view).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(summary="A thread with its comments", tags=["feedback"], parameters=[THREAD_ID]),
    replies=extend_schema(
        summary="Reply in a thread",
        tags=["feedback"],
        parameters=[THREAD_ID],
        request=ReplyInput,
        responses={201: ThreadOutput},
    ),
    resolve=extend_schema(
        summary="Resolve a thread (its mentors and its author)",
        tags=["feedback"],
        parameters=[THREAD_ID],
        request=None,
        responses=ThreadOutput,
    ),
    reopen=extend_schema(
        summary="Reopen a thread (its mentors and its author)",
        tags=["feedback"],
        parameters=[THREAD_ID],
        request=None,
        responses=ThreadOutput,
    ),
    addressed=extend_schema(
        summary="Mark a thread addressed in the next revision, with a short note (the student)",
        tags=["feedback"],
        parameters=[THREAD_ID],
        request=AddressedInput,
        responses=ThreadOutput,
    ),
)
class ThreadViewSet(viewsets.GenericViewSet):
    serializer_class = ThreadOutput
    queryset = Thread.objects.none()
    lookup_value_regex = r"[0-9]{1,18}"

    def _shown(self, thread: Thread, code: int = status.HTTP_200_OK) -> Response:
        thread = policies.thread_get_for_user(self.request.user, thread.pk)
        return Response(ThreadOutput(selectors.thread_view(thread, self.request.user)).data, status=code)

    def retrieve(self, request: Request, pk: str) -> Response:
        return self._shown(policies.thread_get_for_user(request.user, int(pk)))

    @action(detail=True, methods=["post"])
    @idempotent
    def replies(self, request: Request, pk: str) -> Response:
        thread = policies.thread_get_for_user(request.user, int(pk))
        given = ReplyInput(data=request.data)
        given.is_valid(raise_exception=True)
        _act(lambda: services.thread_reply(thread=thread, by=request.user, body=given.validated_data["body"]))
        return self._shown(thread, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    @idempotent
    def resolve(self, request: Request, pk: str) -> Response:
        thread = policies.thread_get_for_user(request.user, int(pk))
        _act(lambda: services.thread_resolve(thread=thread, by=request.user))
        return self._shown(thread)

    @action(detail=True, methods=["post"])
    @idempotent
    def reopen(self, request: Request, pk: str) -> Response:
        thread = policies.thread_get_for_user(request.user, int(pk))
        _act(lambda: services.thread_reopen(thread=thread, by=request.user))
        return self._shown(thread)

    @action(detail=True, methods=["post"])
    @idempotent
    def addressed(self, request: Request, pk: str) -> Response:
        thread = policies.thread_get_for_user(request.user, int(pk))
        given = AddressedInput(data=request.data)
        given.is_valid(raise_exception=True)
        _act(lambda: services.thread_mark_addressed(thread=thread, by=request.user, note=given.validated_data["note"]))
        return self._shown(thread)
