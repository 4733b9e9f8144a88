"""The workspace over the API: weekly work and its draft, revisions and diffs, evidence
artifacts. Same rules as the pages: the student, their assigned mentors, the cohort's
instructors and admins see a work (404 for everyone else); only the student changes it
(403 for the others who can see it). Writes go through submissions.services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
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

from api.exceptions import Conflict, validation_error_from_django
from api.idempotency import idempotent
from api.pagination import CursorPagination
from api.parsers import JSONParser
from api.schema import AutoSchema
from cohorts.models import Membership
from cohorts.selectors import cohort_get_for_user
from curriculum.models import CapstoneDeliverable, Objective, QualityGate, Week

from . import policies, selectors, services, uploads
from . import views as pages
from .content import empty_content, normalised
from .models import Artifact, Retrospective, Revision, RiskEntry, WeeklyWork
from .serializers import (
    ArtifactLinkInput,
    ArtifactOutput,
    ArtifactUploadInput,
    DiffQuery,
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


def works_visible_to(user):
    """The works whose pages the user may open (WeeklyWork.objects.visible_to), with what the
    list shows."""
    return (
        WeeklyWork.objects.visible_to(user)
        .select_related("student", "cohort", "week", "deliverable", "latest_revision")
        .defer("content", "latest_revision__content")
    )


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


# Weekly work writes sections 1–2, a capstone deliverable its own write-up in their place
# (docs/workspace.md); the others' sections may come back empty, as GET shows every section.
_OTHER_KINDS_SECTIONS = {
    True: {
        "concept": "Capstone work has no concept analysis; write in `deliverable`.",
        "lab": "Capstone work has no lab report; write in `deliverable`.",
    },
    False: {"deliverable": "Only capstone deliverables have this section."},
}


def _check_sections(work: WeeklyWork, content: dict) -> None:
    empty = empty_content()
    errors = {
        f"content.{section}": [message]
        for section, message in _OTHER_KINDS_SECTIONS[work.is_capstone].items()
        if section in content and content[section] != empty[section]
    }
    if errors:
        raise exceptions.ValidationError(errors)


def _check_references(work: WeeklyWork, content: dict) -> None:
    """Like the page's form: objectives are the week's outcomes, gates the week's lab gates."""
    week = work.due_week
    objective_ids = set(content.get("concept", {}).get("objective_ids", []))
    if objective_ids:
        known = set(Objective.objects.filter(week=week, kind=Objective.Kind.OUTCOME).values_list("pk", flat=True))
        if objective_ids - known:
            raise exceptions.ValidationError(
                {"content.concept.objective_ids": ["Choose this week's outcome objectives."]}
            )
    gate_ids = set(content.get("lab", {}).get("gates", {}))
    if gate_ids:
        known = {str(pk) for pk in QualityGate.objects.filter(lab__week=week).values_list("pk", flat=True)}
        if work.is_capstone or gate_ids - known:
            raise exceptions.ValidationError({"content.lab.gates": ["Use the ids of this week's quality gates."]})


def _detail(request: Request, work: WeeklyWork) -> dict:
    work.can_edit = policies.can_edit_work(request.user, work)
    return WorkDetailOutput(work).data


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
    queryset = WeeklyWork.objects.none()  # every read goes through policies / works_visible_to
    schema = WorkspaceSchema()
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def list(self, request: Request) -> Response:
        query = WorkListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        works = works_visible_to(request.user)
        if "cohort" in query.validated_data:
            works = works.filter(cohort__slug=query.validated_data["cohort"])
        if "state" in query.validated_data:
            works = works.filter(state=query.validated_data["state"])
        page = self.paginate_queryset(works)
        return self.get_paginated_response(WorkOutput(page, many=True).data)

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
            week = Week.objects.filter(course=cohort.course, number=data["week"]).first()
            if week is None:
                raise exceptions.ValidationError({"week": ["The cohort's course has no such week."]})
        else:
            deliverable = CapstoneDeliverable.objects.filter(
                pk=data["deliverable"], project__course=cohort.course
            ).first()
            if deliverable is None:
                raise exceptions.ValidationError({"deliverable": ["The cohort's course has no such deliverable."]})
        if not Membership.objects.is_student(user=request.user, cohort=cohort):
            raise exceptions.PermissionDenied("Only students of this cohort have weekly work.")
        target = {"week": week} if week else {"deliverable": deliverable}
        existed = WeeklyWork.objects.filter(student=request.user, cohort=cohort, **target).exists()
        try:
            work = services.work_get_or_create(student=request.user, cohort=cohort, **target)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        work = policies.work_get_for_user(request.user, work.pk)
        return Response(_detail(request, work), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_detail(request, policies.work_get_for_user(request.user, int(pk))))

    def partial_update(self, request: Request, pk: str) -> Response:
        work = _changeable(request, policies.work_get_for_user(request.user, int(pk)))
        given = WorkUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        _check_sections(work, given.validated_data["content"])
        _check_references(work, given.validated_data["content"])
        content = normalised(work.content)
        content.update(given.validated_data["content"])
        try:
            services.work_save_draft(
                work=work, content=content, expected_version=given.validated_data["draft_version"], by=request.user
            )
        except services.DraftConflict as exc:
            raise Conflict(" ".join(exc.messages), code="conflict") from exc
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
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
            try:
                services.retrospective_save(
                    student=work.student, cohort=work.cohort, week=work.week, **given.validated_data
                )
            except DjangoValidationError as exc:
                raise validation_error_from_django(exc) from exc
        retro = Retrospective.objects.filter(student=work.student, cohort=work.cohort, week=work.week).first()
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
        revisions = (
            Revision.objects.filter(work=self.work()).select_related("submitted_by").defer("content").order_by("number")
        )
        page = self.paginate_queryset(revisions)
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
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        revision = Revision.objects.select_related("submitted_by").get(pk=revision.pk)
        return Response(RevisionDetailOutput(revision).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, work_id: str, number: str) -> Response:
        revision = policies.revision_get_for_user(request.user, int(work_id), int(number))
        return Response(RevisionDetailOutput(revision).data)

    @action(detail=False, methods=["get"], pagination_class=None)
    def diff(self, request: Request, work_id: str) -> Response:
        query = DiffQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        available = list(Revision.objects.filter(work=self.work()).values_list("number", flat=True).order_by("number"))
        if not available:
            raise Http404("This work has no revisions yet.")
        to = query.validated_data.get("to", available[-1])
        earlier = [n for n in available if n < to]
        numbers = {"from": query.validated_data.get("from", earlier[-1] if earlier else to), "to": to}
        revisions = {r.number: r for r in Revision.objects.filter(work=self.work(), number__in=numbers.values())}
        if any(n not in revisions for n in numbers.values()):
            raise Http404("No such revision.")
        diff = selectors.revision_diff(revisions[numbers["from"]], revisions[numbers["to"]])
        body = {
            **numbers,
            "sections": [
                {"title": s.title, "changed": s.changed, "inline": [{"op": op, "text": text} for op, text in s.inline]}
                for s in diff.sections
            ],
            "artifacts_added": diff.artifacts_added,
            "artifacts_removed": diff.artifacts_removed,
        }
        return Response(RevisionDiffOutput(body).data)


DOWNLOAD_TYPES = sorted({*(t for t in uploads.BINARY_TYPES), "text/plain", "application/octet-stream"})


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
        artifacts = self.work().artifacts.attached().order_by("created_at", "pk")
        page = self.paginate_queryset(artifacts)
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
                raise validation_error_from_django(exc) from exc
            raise exceptions.ValidationError({"file": exc.messages}) from exc
        return Response(ArtifactOutput(artifact).data, status=status.HTTP_201_CREATED)

    @action(detail=False, methods=["post"], parser_classes=[JSONParser])
    @idempotent
    def links(self, request: Request, work_id: str) -> Response:
        work = _changeable(request, self.work())
        given = ArtifactLinkInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            artifact = services.artifact_add_link(work=work, by=request.user, **given.validated_data)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(ArtifactOutput(artifact).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def download(self, request: Request, work_id: str, pk: str):
        artifact = get_object_or_404(Artifact, pk=int(pk), work=self.work(), kind=Artifact.Kind.FILE)
        # The page's download view serves the file: attachment, safe type, nosniff, sandbox CSP.
        return pages.artifact_download(request._request, pk=artifact.pk)

    def destroy(self, request: Request, work_id: str, pk: str) -> Response:
        work = _changeable(request, self.work())
        artifact = get_object_or_404(Artifact.objects.attached(), pk=int(pk), work=work)
        artifact.work = work
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

    def entries(self):
        work = self.work()
        return (
            RiskEntry.objects.filter(student_id=work.student_id, cohort_id=work.cohort_id)
            .select_related("week_opened", "week_closed")
            .order_by("week_opened__number", "pk")
        )

    def _loggable(self) -> WeeklyWork:
        work = self.work()
        if not policies.can_log_risks(self.request.user, work.cohort, work.student):
            raise exceptions.PermissionDenied("The defect and risk log is the student's own.")
        if not work.week_id:
            raise exceptions.ValidationError({"non_field_errors": ["Entries are logged from a week's work."]})
        return work

    def list(self, request: Request, work_id: str) -> Response:
        page = self.paginate_queryset(self.entries())
        return self.get_paginated_response(RiskEntryOutput(page, many=True).data)

    @idempotent
    def create(self, request: Request, work_id: str) -> Response:
        work = self._loggable()
        given = RiskEntryCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            entry = services.risk_entry_create(
                student=work.student, cohort=work.cohort, week=work.week, **given.validated_data
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(RiskEntryOutput(entry).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def close(self, request: Request, work_id: str, pk: str) -> Response:
        work = self._loggable()
        entry = get_object_or_404(self.entries(), pk=int(pk))
        given = RiskEntryCloseInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            entry = services.risk_entry_close(
                entry=entry, week=work.week, resolution=given.validated_data["resolution"]
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(RiskEntryOutput(entry).data)

    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, work_id: str, pk: str) -> Response:
        self._loggable()
        entry = get_object_or_404(self.entries(), pk=int(pk))
        try:
            entry = services.risk_entry_reopen(entry=entry)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return Response(RiskEntryOutput(entry).data)
