"""The workspace over the API: weekly work and its draft, revisions and diffs, evidence
artifacts. Same rules as the pages: the student, their assigned mentors, the cohort's
instructors and admins see a work (404 for everyone else); only the student changes it
(403 for the others who can see it). Writes go through submissions.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.exceptions import Conflict
from api.idempotency import idempotent
from api.pagination import CursorPagination
from api.parsers import JSONParser
from api.schema import AutoSchema
from cohorts.policies import is_platform_admin
from cohorts.selectors import cohort_get_for_user, membership_stamps
from core import pagecache
from curriculum.selectors import course_deliverable, course_week

from . import policies, selectors, services
from .content import normalised
from .downloads import DOWNLOAD_TYPES, artifact_file_response
from .models import WeeklyWork
from .serializers import (
    ArtifactLinkInput,
    ArtifactOutput,
    ArtifactUploadInput,
    DiffQuery,
    ImproveItemOutput,
    ImproveItemStatusInput,
    RetrospectiveInput,
    RetrospectiveOutput,
    RevisionDetailOutput,
    RevisionDiffOutput,
    RevisionOutput,
    RevisionSubmitInput,
    RiskEntryCloseInput,
    RiskEntryCreateInput,
    RiskEntryOutput,
    WorkDetailOutput,
    WorkListQuery,
    WorkOpenInput,
    WorkOutput,
    WorkUpdateInput,
    improve_item_data,
    work_list_item,
)

# --- Schema: the workspace's own 409 -------------------------------------------------------


class WorkspaceSchema(AutoSchema):
    """Writes to a work can also be refused with 409: a stale `draft_version` (`conflict`) or
    work that is submitted and not open for changes (`not_editable`)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction == "response" and self.method in ("POST", "PATCH", "DELETE"):
            conflict = self._problem_response("409")
            conflict["description"] = (
                "`conflict`: the draft was saved since the given draft_version; `not_editable`: the work is "
                "submitted and closed to changes until changes are requested"
                + (
                    "; or a request with the same Idempotency-Key is still being processed."
                    if self._is_idempotent()
                    else "."
                )
            )
            responses["409"] = conflict
        return dict(sorted(responses.items()))


# --- Views ---------------------------------------------------------------------------------

WORK_ID = OpenApiParameter("work_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The work's id.")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="The revision number.")
ID_REGEX = r"[0-9]{1,18}"


def _changeable(request: Request, work: WeeklyWork) -> WeeklyWork:
    """Visible but not the student's own: 403; the student's but closed: 409 `not_editable`."""
    if request.user.pk != work.student_id:
        raise exceptions.PermissionDenied("Only the student changes their own work.")
    if not policies.can_edit_work(request.user, work):
        raise Conflict(
            f"This work is {work.get_state_display().lower()} and cannot be edited until changes are requested.",
            code="not_editable",
        )
    return work


def _detail(request: Request, work: WeeklyWork) -> dict:
    work.can_edit = policies.can_edit_work(request.user, work)
    return WorkDetailOutput(work).data


# The query string a cached works list may have (anything else is answered without the cache).
WORK_LIST_QUERY_NAMES = ("cohort", "state", "cursor", "page_size")


class WorksCursorPagination(CursorPagination):
    # Newest first; pk is unique and indexed, so a cursor costs no COUNT and no OFFSET
    # (an instructor's list is students × weeks).
    ordering = ("-pk",)


@extend_schema_view(
    list=extend_schema(
        summary="Weekly work you may see (yours; your mentees'; your cohorts' as instructor)",
        tags=["submissions"],
        parameters=[WorkListQuery],
    ),
    create=extend_schema(
        summary="Open your work for a week or capstone deliverable (created on first use)",
        tags=["submissions"],
        request=WorkOpenInput,
        responses={201: WorkDetailOutput, 200: WorkDetailOutput},
    ),
    retrieve=extend_schema(summary="A work with its draft", tags=["submissions"], responses=WorkDetailOutput),
    retrospective=extend_schema(
        methods=["GET"], summary="The week's retrospective", tags=["submissions"], responses=RetrospectiveOutput
    ),
    partial_update=extend_schema(
        summary="Save the draft (compare-and-set on draft_version)",
        tags=["submissions"],
        request=WorkUpdateInput,
        responses=WorkDetailOutput,
    ),
)
class WorkViewSet(viewsets.GenericViewSet):
    serializer_class = WorkOutput
    pagination_class = WorksCursorPagination
    lookup_value_regex = ID_REGEX
    queryset = WeeklyWork.objects.none()  # every read goes through policies / selectors
    schema = WorkspaceSchema()
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def list(self, request: Request) -> HttpResponse:
        query = WorkListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        # The page is kept whole (core/pagecache.py) until one of the viewer's cohorts changes
        # version (a work opened, a draft saved, a submission or decision, members and mentors:
        # docs/performance.md, "Cached pages") or a new cohort appears among theirs. A platform
        # admin sees every cohort's work, which no one version covers: made every time.
        key = parts = None
        if pagecache.query_is(request, WORK_LIST_QUERY_NAMES) and not is_platform_admin(request.user):
            parts = (membership_stamps(request.user), request.accepted_media_type, timezone.get_current_timezone_name())
            key = pagecache.page_key(request, "api-works", *parts, layout=False)

        def build() -> pagecache.BuildResult:
            works = selectors.works_listed_for(
                request.user, cohort_slug=query.validated_data.get("cohort"), state=query.validated_data.get("state")
            )
            page = self.paginate_queryset(works)
            zone = timezone.get_current_timezone()
            data = self.get_paginated_response([work_list_item(row, zone) for row in page]).data
            renderer = request.accepted_renderer
            body = renderer.render(data, request.accepted_media_type, self.get_renderer_context())
            content_type = (
                f"{renderer.media_type}; charset={renderer.charset}" if renderer.charset else renderer.media_type
            )
            return HttpResponse(body, content_type=content_type), None

        # Its key is the stamps, media type and time zone, the URL and the viewer: answered
        # before the middleware too for a token (courseplatform/fast_path.py).
        return pagecache.respond(request, key, build, fast=parts, fast_layout=False)

    def create(self, request: Request) -> Response:
        given = WorkOpenInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            cohort = cohort_get_for_user(request.user, data["cohort"])
        except Http404:
            raise exceptions.ValidationError({"cohort": ["You are in no cohort with this slug."]}) from None
        week = deliverable = None
        if "week" in data:
            week = course_week(cohort.course, data["week"])
            if week is None:
                raise exceptions.ValidationError({"week": ["The cohort's course has no such week."]})
        else:
            deliverable = course_deliverable(cohort.course, data["deliverable"])
            if deliverable is None:
                raise exceptions.ValidationError({"deliverable": ["The cohort's course has no such deliverable."]})
        try:
            work, created = services.work_open(student=request.user, cohort=cohort, week=week, deliverable=deliverable)
        except services.NotAStudent as exc:
            raise exceptions.PermissionDenied(exc.message) from exc
        work = policies.work_get_for_user(request.user, work.pk)
        return Response(_detail(request, work), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_detail(request, policies.work_get_for_user(request.user, int(pk))))

    def partial_update(self, request: Request, pk: str) -> Response:
        work = _changeable(request, policies.work_get_for_user(request.user, int(pk)))
        given = WorkUpdateInput(data=request.data, context={"work": work})
        given.is_valid(raise_exception=True)
        content = normalised(work.content)
        content.update(given.validated_data["content"])
        try:
            services.work_save_draft(
                work=work, content=content, expected_version=given.validated_data["draft_version"], by=request.user
            )
        except services.DraftConflict as exc:
            raise Conflict(" ".join(exc.messages), code="conflict") from exc
        return Response(_detail(request, work))

    @extend_schema(
        methods=["PUT"],
        summary="Save the week's retrospective (the student, while the work is open)",
        tags=["submissions"],
        request=RetrospectiveInput,
        responses=RetrospectiveOutput,
    )
    @action(detail=True, methods=["get", "put"], pagination_class=None)
    def retrospective(self, request: Request, pk: str) -> Response:
        work = policies.work_get_for_user(request.user, int(pk))
        if not work.week_id:
            raise Http404("Capstone deliverables have no retrospective.")
        if request.method == "PUT":
            _changeable(request, work)
            given = RetrospectiveInput(data=request.data)
            given.is_valid(raise_exception=True)
            retro = services.retrospective_save(
                student=work.student, cohort=work.cohort, week=work.week, **given.validated_data
            )
        else:
            retro = selectors.work_retrospective(work)
        body = {
            "retain": retro.retain if retro else "",
            "improve": retro.improve if retro else "",
            "scale": retro.scale if retro else "",
            "is_done": bool(retro and retro.is_done),
            "updated_at": retro.updated_at if retro else None,
        }
        return Response(RetrospectiveOutput(body).data)


class _InWork(viewsets.GenericViewSet):
    lookup_value_regex = ID_REGEX
    schema = WorkspaceSchema()

    def work(self) -> WeeklyWork:
        if not hasattr(self, "_work"):
            self._work = policies.work_get_for_user(self.request.user, int(self.kwargs["work_id"]))
        return self._work


@extend_schema_view(
    list=extend_schema(summary="The revisions of a work, oldest first", tags=["submissions"], parameters=[WORK_ID]),
    create=extend_schema(
        summary="Submit: freeze the draft as the next revision",
        tags=["submissions"],
        parameters=[WORK_ID],
        request=RevisionSubmitInput,
        responses={201: RevisionDetailOutput},
    ),
    retrieve=extend_schema(
        summary="One revision with its frozen content",
        tags=["submissions"],
        parameters=[WORK_ID, NUMBER],
        responses=RevisionDetailOutput,
    ),
    diff=extend_schema(
        summary="Differences between two revisions",
        tags=["submissions"],
        parameters=[WORK_ID, DiffQuery],
        responses=RevisionDiffOutput,
    ),
)
class RevisionViewSet(_InWork):
    serializer_class = RevisionOutput
    parser_classes = [JSONParser]
    lookup_field = "number"
    lookup_value_regex = r"[0-9]{1,9}"

    def list(self, request: Request, work_id: str) -> Response:
        page = self.paginate_queryset(selectors.work_revisions(self.work()))
        return self.get_paginated_response(RevisionOutput(page, many=True).data)

    @idempotent
    def create(self, request: Request, work_id: str) -> Response:
        work = _changeable(request, self.work())
        given = RevisionSubmitInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            revision = services.work_submit(
                work=work, by=request.user, expected_version=given.validated_data.get("draft_version")
            )
        except services.DraftConflict as exc:
            raise Conflict(" ".join(exc.messages), code="conflict") from exc
        return Response(RevisionDetailOutput(revision).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, work_id: str, number: str) -> Response:
        revision = policies.revision_get_for_user(request.user, int(work_id), int(number))
        return Response(RevisionDetailOutput(revision).data)

    @action(detail=False, methods=["get"], pagination_class=None)
    def diff(self, request: Request, work_id: str) -> Response:
        query = DiffQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        older, newer = selectors.revisions_to_compare(
            self.work(), from_number=query.validated_data.get("from"), to_number=query.validated_data.get("to")
        )
        diff = selectors.revision_diff(older, newer)
        body = {
            "from": older.number,
            "to": newer.number,
            "sections": [
                {"title": s.title, "changed": s.changed, "inline": [{"op": op, "text": text} for op, text in s.inline]}
                for s in diff.sections
            ],
            "artifacts_added": diff.artifacts_added,
            "artifacts_removed": diff.artifacts_removed,
        }
        return Response(RevisionDiffOutput(body).data)


@extend_schema_view(
    list=extend_schema(summary="Evidence attached to the draft", tags=["submissions"], parameters=[WORK_ID]),
    create=extend_schema(
        summary="Upload an evidence file (checked by size and content, like the page)",
        tags=["submissions"],
        parameters=[WORK_ID],
        request={"multipart/form-data": ArtifactUploadInput},
        responses={201: ArtifactOutput},
    ),
    links=extend_schema(
        summary="Add an evidence link",
        tags=["submissions"],
        parameters=[WORK_ID],
        request=ArtifactLinkInput,
        responses={201: ArtifactOutput},
    ),
    download=extend_schema(
        summary="Download an evidence file (always as an attachment)",
        tags=["submissions"],
        parameters=[WORK_ID, ID],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment.")
            for media_type in DOWNLOAD_TYPES
        },
    ),
    destroy=extend_schema(
        summary="Remove an artifact from the draft (kept if a revision froze it)",
        tags=["submissions"],
        parameters=[WORK_ID, ID],
    ),
)
class ArtifactViewSet(_InWork):
    serializer_class = ArtifactOutput
    parser_classes = [MultiPartParser, FormParser]

    def list(self, request: Request, work_id: str) -> Response:
        page = self.paginate_queryset(selectors.work_artifacts(self.work()))
        return self.get_paginated_response(ArtifactOutput(page, many=True).data)

    @idempotent
    def create(self, request: Request, work_id: str) -> Response:
        work = _changeable(request, self.work())
        given = ArtifactUploadInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            artifact = services.artifact_upload(
                work=work,
                upload=data["file"],
                proves=data["proves"],
                evidence_item=data["evidence_item"],
                by=request.user,
            )
        except DjangoValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise  # names its fields already
            # A refused file (size, type, name) is about the file field.
            raise exceptions.ValidationError({"file": exc.messages}) from exc
        return Response(ArtifactOutput(artifact).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    @idempotent
    def links(self, request: Request, work_id: str) -> Response:
        work = _changeable(request, self.work())
        given = ArtifactLinkInput(data=request.data)
        given.is_valid(raise_exception=True)
        artifact = services.artifact_add_link(work=work, by=request.user, **given.validated_data)
        return Response(ArtifactOutput(artifact).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def download(self, request: Request, work_id: str, pk: str):
        return artifact_file_response(selectors.work_artifact_get(self.work(), int(pk), file=True))

    def destroy(self, request: Request, work_id: str, pk: str) -> Response:
        work = _changeable(request, self.work())
        artifact = selectors.work_artifact_get(work, int(pk), attached=True)
        services.artifact_remove(artifact=artifact, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="The student's defect and risk log in the work's cohort", tags=["submissions"], parameters=[WORK_ID]
    ),
    create=extend_schema(
        summary="Log a defect or risk, opened in the work's week",
        tags=["submissions"],
        parameters=[WORK_ID],
        request=RiskEntryCreateInput,
        responses={201: RiskEntryOutput},
    ),
    close=extend_schema(
        summary="Close an entry in the work's week",
        tags=["submissions"],
        parameters=[WORK_ID, ID],
        request=RiskEntryCloseInput,
        responses=RiskEntryOutput,
    ),
    reopen=extend_schema(
        summary="Reopen a closed entry",
        tags=["submissions"],
        parameters=[WORK_ID, ID],
        request=None,
        responses=RiskEntryOutput,
    ),
)
class RiskEntryViewSet(_InWork):
    serializer_class = RiskEntryOutput
    parser_classes = [JSONParser]

    def _loggable(self) -> WeeklyWork:
        work = self.work()
        if not policies.can_log_risks(self.request.user, work.cohort, work.student):
            raise exceptions.PermissionDenied("The defect and risk log is the student's own.")
        if not work.week_id:
            raise exceptions.ValidationError({"non_field_errors": ["Entries are logged from a week's work."]})
        return work

    def list(self, request: Request, work_id: str) -> Response:
        page = self.paginate_queryset(selectors.risk_log(self.work()))
        return self.get_paginated_response(RiskEntryOutput(page, many=True).data)

    @idempotent
    def create(self, request: Request, work_id: str) -> Response:
        work = self._loggable()
        given = RiskEntryCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        entry = services.risk_entry_create(
            student=work.student, cohort=work.cohort, week=work.week, **given.validated_data
        )
        return Response(RiskEntryOutput(entry).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, work_id: str, pk: str) -> Response:
        work = self._loggable()
        entry = selectors.risk_entry_get(work, int(pk))
        given = RiskEntryCloseInput(data=request.data)
        given.is_valid(raise_exception=True)
        entry = services.risk_entry_close(entry=entry, week=work.week, resolution=given.validated_data["resolution"])
        return Response(RiskEntryOutput(entry).data)

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, work_id: str, pk: str) -> Response:
        entry = services.risk_entry_reopen(entry=selectors.risk_entry_get(self._loggable(), int(pk)))
        return Response(RiskEntryOutput(entry).data)


KEY = OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The improve item's key.")


@extend_schema_view(
    list=extend_schema(
        summary="Last week's improve items shown in this work's week, with their statuses",
        tags=["submissions"],
        parameters=[WORK_ID],
        responses=ImproveItemOutput(many=True),
    ),
    update=extend_schema(
        summary="Set what became of an improve item (the student, while the work is open)",
        tags=["submissions"],
        parameters=[WORK_ID, KEY],
        request=ImproveItemStatusInput,
        responses=ImproveItemOutput,
    ),
)
class ImproveItemViewSet(_InWork):
    """The items of the previous week's retrospective "improve" field, and those carried
    forward into this week, each with the status set in this week (null until set). Reading
    writes nothing; PUT is idempotent (setting the same status twice leaves one status)."""

    serializer_class = ImproveItemOutput
    parser_classes = [JSONParser]
    pagination_class = None
    lookup_field = "key"
    lookup_value_regex = r"[0-9a-f]{16}"
    http_method_names = ["get", "put", "head", "options"]

    def _week_number(self, work: WeeklyWork) -> int:
        return work.week.number if work.week_id else 0

    def list(self, request: Request, work_id: str) -> Response:
        work = self.work()
        items = selectors.improve_items_for_work(work)
        return Response([improve_item_data(item, self._week_number(work)) for item in items])

    def update(self, request: Request, work_id: str, key: str) -> Response:
        work = _changeable(request, self.work())
        given = ImproveItemStatusInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            services.improve_item_set_status(work=work, key=key, by=request.user, **given.validated_data)
        except services.NoSuchImproveItem as exc:
            raise Http404(exc.message) from exc
        item = next(i for i in selectors.improve_items_for_work(work) if i.key == key)
        return Response(improve_item_data(item, self._week_number(work)))
