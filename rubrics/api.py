"""Review, as on the review pages: the rubric that applies to a revision, the review queue
of mentors and instructors, recording a mentor, peer or self assessment, and the
assessments of a revision you may see (the feedback page: peers named only when the
reviewer may be known; a peer reviewer sees only their own review). rubrics.policies
decides; rubrics.services records."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.exceptions import validation_error_from_django
from api.idempotency import idempotent
from cohorts.models import Cohort
from cohorts.policies import can_manage_cohort
from cohorts.selectors import cohort_get_for_user
from submissions.content import readable
from submissions.downloads import DOWNLOAD_TYPES, artifact_file_response
from submissions.models import Artifact, Revision

from . import policies, selectors, services
from .models import Assessment, PeerAssignment
from .serializers import (
    AssessmentCreateInput,
    AssessmentOutput,
    MasteryRuleInput,
    MasteryRuleOutput,
    PeerAssignmentOutput,
    PeerContentOutput,
    PeerReviewOutput,
    QueueItemOutput,
    ReviewQueueQuery,
    RubricOutput,
)

# --- Views ---------------------------------------------------------------------------------

REVISION_ID = OpenApiParameter("revision_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A revision id.")
COHORT_SLUG = OpenApiParameter("cohort_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cohort's slug.")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A revision id.")


@extend_schema_view(
    rubric=extend_schema(
        summary="The rubric that applies to a revision, with criteria and levels",
        tags=["review"],
        parameters=[ID],
        responses=RubricOutput,
    ),
)
class ReviewRevisionViewSet(viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = Revision.objects.none()

    @action(detail=True, methods=["get"])
    def rubric(self, request: Request, pk: str) -> Response:
        revision, _ = policies.revision_get_for_reviewer(request.user, int(pk))
        rubric = selectors.rubric_for_work(revision.work)
        if rubric is None:
            raise Http404("No rubric applies to this work.")
        rubric.criteria_list = selectors.rubric_criteria(rubric)
        data = {
            "family": rubric.family,
            "version": rubric.version,
            "title": rubric.title,
            "description": rubric.description,
            "criteria": [
                {
                    "id": c.pk,
                    "order": c.order,
                    "title": c.title,
                    "description": c.description,
                    "weight": c.weight,
                    "levels": list(c.levels.all()),
                }
                for c in rubric.criteria_list
            ],
        }
        return Response(RubricOutput(data).data)


@extend_schema_view(
    list=extend_schema(
        summary="Revisions waiting for your review, oldest first", tags=["review"], parameters=[ReviewQueueQuery]
    )
)
class ReviewQueueViewSet(viewsets.GenericViewSet):
    serializer_class = QueueItemOutput
    queryset = Revision.objects.none()

    def list(self, request: Request) -> Response:
        query = ReviewQueueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not policies.can_use_review_queue(request.user):
            raise exceptions.PermissionDenied("The review queue is for mentors and instructors.")
        # The page's queue (one query), narrowed by the filters.
        items = selectors.review_queue(
            request.user, cohort_slug=query.validated_data.get("cohort"), overdue=query.validated_data["overdue"]
        )
        page = self.paginate_queryset(items)
        return self.get_paginated_response(QueueItemOutput(page, many=True).data)


PEER_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="A peer assignment id.")
ARTIFACT_ID = OpenApiParameter("artifact_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="An evidence id.")


def _peer_content(revision: Revision) -> dict:
    shown = readable(revision.content)
    return {
        **{key: shown[key] for key in PeerContentOutput().fields if key not in ("decision", "retrospective")},
        "decision": [{"label": label, "text": text} for label, text in shown["decision"]],
        "retrospective": (
            None
            if shown["retrospective"] is None
            else [{"label": label, "text": text} for label, text in shown["retrospective"]]
        ),
    }


def _peer_evidence(request: Request, assignment: PeerAssignment) -> list[dict]:
    """The evidence list of the peer review page: numbered, never the original file names."""
    listed = []
    for number, artifact in enumerate(selectors.revision_artifact_list(assignment.revision), start=1):
        is_file = artifact.kind == Artifact.Kind.FILE
        listed.append(
            {
                "id": artifact.pk,
                "kind": artifact.kind,
                "label": f"Evidence file {number}" if is_file else f"Link {number}",
                "proves": artifact.proves,
                "evidence_item": artifact.evidence_item,
                "url": None if is_file else artifact.url,
                "download_url": (
                    reverse("api:v1:review-peer-evidence", args=[assignment.pk, artifact.pk], request=request)
                    if is_file
                    else None
                ),
            }
        )
    return listed


@extend_schema_view(
    list=extend_schema(
        summary="Your peer reviews, open ones first, with due dates", tags=["review"], responses=PeerAssignmentOutput
    ),
    retrieve=extend_schema(
        summary="A peer review: the anonymised revision and its evidence",
        tags=["review"],
        parameters=[PEER_ID],
        responses=PeerReviewOutput,
    ),
    evidence=extend_schema(
        summary="Download an evidence file of the revision under review (neutral name, always an attachment)",
        tags=["review"],
        parameters=[PEER_ID, ARTIFACT_ID],
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file, as an attachment.")
            for media_type in DOWNLOAD_TYPES
        },
    ),
)
class PeerReviewViewSet(viewsets.GenericViewSet):
    # As /review/peer/ and /review/peer/<id>/: only the assigned reviewer reaches an
    # assignment (policies.peer_assignment_get_for_user, 404 for anyone else) and nothing
    # names the author. The review itself is sent with the assessments endpoint (kind peer).
    serializer_class = PeerAssignmentOutput
    queryset = PeerAssignment.objects.none()  # reads go through selectors.peer_tasks and policies
    lookup_value_regex = r"[0-9]{1,18}"

    def list(self, request: Request) -> Response:
        # Like the page, it only reads: reviewers are assigned on submit and by the schedule.
        page = self.paginate_queryset(selectors.peer_tasks(request.user))
        data = PeerAssignmentOutput(page, many=True, context={"now": timezone.now()}).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str) -> Response:
        assignment = policies.peer_assignment_get_for_user(request.user, int(pk))
        assignment.content = _peer_content(assignment.revision)
        assignment.evidence = _peer_evidence(request, assignment)
        return Response(PeerReviewOutput(assignment, context={"now": timezone.now()}).data)

    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<artifact_id>[0-9]{1,18})", url_name="evidence")
    def evidence(self, request: Request, pk: str, artifact_id: str):
        assignment = policies.peer_assignment_get_for_user(request.user, int(pk))
        artifact, neutral_name = policies.artifact_get_for_reviewer(
            request.user, assignment.revision_id, int(artifact_id)
        )
        if artifact.kind != Artifact.Kind.FILE:
            raise Http404("No such file.")
        return artifact_file_response(artifact, neutral_name=neutral_name)


@extend_schema_view(
    list=extend_schema(
        summary="Assessments of a revision that you may see",
        tags=["review"],
        parameters=[REVISION_ID],
        responses=AssessmentOutput(many=True),
    ),
    create=extend_schema(
        summary="Record your mentor, peer or self assessment of a revision",
        tags=["review"],
        parameters=[REVISION_ID],
        request=AssessmentCreateInput,
        responses={201: AssessmentOutput},
    ),
)
class AssessmentViewSet(viewsets.GenericViewSet):
    serializer_class = AssessmentOutput
    pagination_class = None  # a revision has a handful of assessments

    def list(self, request: Request, revision_id: str) -> Response:
        revision, assignment = policies.revision_get_for_reviewer(request.user, int(revision_id))
        shown = selectors.assessments_shown_to(request.user, revision, assignment)
        return Response(AssessmentOutput(shown, many=True).data)

    @idempotent
    def create(self, request: Request, revision_id: str) -> Response:
        revision, assignment = policies.revision_get_for_reviewer(request.user, int(revision_id))
        given = AssessmentCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        kind = data["kind"]
        if kind == Assessment.Kind.MENTOR and not policies.can_score_as_mentor(request.user, revision.work):
            raise exceptions.PermissionDenied("Only the student's assigned mentors and the cohort's instructors score.")
        if kind == Assessment.Kind.PEER and assignment is None:
            raise exceptions.PermissionDenied("You were not assigned to review this revision.")
        if kind == Assessment.Kind.SELF and request.user.pk != revision.work.student_id:
            raise exceptions.PermissionDenied("Only the author assesses their own work.")
        positions = {score["criterion"]: index for index, score in enumerate(data["scores"])}
        try:
            assessment = services.assessment_record(
                revision=revision,
                scorer=request.user,
                kind=kind,
                scores={score["criterion"]: (score["level"], score["comment"]) for score in data["scores"]},
                feedback=data["feedback"],
                decision=data["decision"],
                judgements={j["objective"]: (j["met"], j["reason"]) for j in data["judgements"]} or None,
            )
        except DjangoValidationError as exc:
            field_map = {
                f"criterion_{criterion}": f"scores.{positions[criterion]}.level" if criterion in positions else "scores"
                for criterion in _criterion_ids(exc)
            }
            for index, judgement in enumerate(data["judgements"]):
                field_map[f"objective_{judgement['objective']}"] = f"judgements.{index}"
            raise validation_error_from_django(exc, field_map) from exc
        assessment = selectors.assessment_with_scores(assessment.pk)
        assessment.shown_reviewer = request.user.display_name
        return Response(AssessmentOutput(assessment).data, status=status.HTTP_201_CREATED)


def _criterion_ids(exc: DjangoValidationError) -> list[int]:
    names = getattr(exc, "error_dict", {})
    return [int(name.removeprefix("criterion_")) for name in names if name.startswith("criterion_")]


class MasteryRuleView(APIView):
    """The cohort's mastery rule, as on /review/cohorts/<slug>/mastery-rule/: for its instructors
    and admins (anyone else: 404, as the page)."""

    def _cohort(self, request: Request, cohort_slug: str) -> Cohort:
        cohort = cohort_get_for_user(request.user, cohort_slug)
        if not can_manage_cohort(request.user, cohort):
            raise Http404("No such cohort.")
        return cohort

    def _answer(self, cohort: Cohort) -> Response:
        rule = selectors.mastery_rule_for(cohort)
        data = {
            "cohort": cohort.slug,
            "min_points": rule.min_points,
            "require": rule.require,
            "description": rule.describe(),
            "is_default": rule.pk is None,
            "max_points": selectors.mastery_points_ceiling(cohort),
        }
        return Response(MasteryRuleOutput(data).data)

    @extend_schema(
        summary="The cohort's mastery rule: how a mentor's levels become “met” for each objective",
        tags=["review"],
        parameters=[COHORT_SLUG],
        responses=MasteryRuleOutput,
    )
    def get(self, request: Request, cohort_slug: str) -> Response:
        return self._answer(self._cohort(request, cohort_slug))

    @extend_schema(
        summary="Set the cohort's mastery rule (weeks accepted afterwards are judged by it)",
        tags=["review"],
        parameters=[COHORT_SLUG],
        request=MasteryRuleInput,
        responses=MasteryRuleOutput,
    )
    def put(self, request: Request, cohort_slug: str) -> Response:
        cohort = self._cohort(request, cohort_slug)
        given = MasteryRuleInput(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            services.mastery_rule_set(cohort=cohort, by=request.user, **given.validated_data)
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc) from exc
        return self._answer(cohort)
