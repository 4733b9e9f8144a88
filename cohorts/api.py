"""Cohorts, memberships, mentor assignments and extensions, with the pages' visibility:
members see their cohort; only mentors, instructors and admins see the roster (students
see who teaches); only instructors and admins manage (cohorts.policies)."""

import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from accounts.selectors import user_get_by_email
from api.exceptions import validation_error_from_django
from api.idempotency import idempotent
from api.pagination import CursorPagination
from curriculum.selectors import course_week

from . import policies, selectors, services
from .models import Cohort, Membership
from .serializers import (
    CohortDetailOutput,
    CohortListQuery,
    CohortOutput,
    ExtensionCreateInput,
    ExtensionOutput,
    InvitationCreateInput,
    InvitationOutput,
    MembershipCreateInput,
    MembershipListQuery,
    MembershipOutput,
    MentorAssignmentCreateInput,
    MentorAssignmentOutput,
    ScheduleWeekOutput,
)

# --- Views ---------------------------------------------------------------------------------

COHORT_SLUG = OpenApiParameter("cohort_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cohort slug.")
ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)


def _managed(request: Request, cohort: Cohort) -> Cohort:
    if not policies.can_manage_cohort(request.user, cohort):
        raise exceptions.PermissionDenied("Only the cohort's instructors and admins manage it.")
    return cohort


def _user_in_cohort(cohort: Cohort, user_id: int, field: str) -> User:
    user = selectors.cohort_member(cohort, user_id)
    if user is None:
        raise exceptions.ValidationError({field: ["No member of this cohort has this id."]})
    return user


@extend_schema_view(
    list=extend_schema(summary="Your cohorts", tags=["cohorts"], parameters=[CohortListQuery]),
    retrieve=extend_schema(summary="A cohort", tags=["cohorts"], responses=CohortDetailOutput),
    schedule=extend_schema(
        summary="When each week opens and is due (your extensions applied)",
        tags=["cohorts"],
        responses=ScheduleWeekOutput(many=True),
    ),
)
class CohortViewSet(viewsets.GenericViewSet):
    serializer_class = CohortOutput
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    queryset = Cohort.objects.none()  # every read goes through cohorts.selectors

    def list(self, request: Request) -> Response:
        query = CohortListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        cohorts = selectors.cohorts_with_member_counts(request.user)
        role = query.validated_data.get("role")
        if role:
            cohorts = [c for c in cohorts if any(m.role == role for m in c.my_memberships)]
        page = self.paginate_queryset(cohorts)
        return self.get_paginated_response(CohortOutput(page, many=True).data)

    def retrieve(self, request: Request, slug: str) -> Response:
        cohort = selectors.cohort_get_for_user(request.user, slug)
        memberships = selectors.cohort_memberships(cohort)
        cohort.my_role = next((m.role for m in memberships if m.user_id == request.user.pk), None)
        cohort.can_manage = policies.can_manage_cohort(request.user, cohort)
        cohort.can_view_roster = policies.can_view_roster(request.user, cohort)
        cohort.teachers = [m for m in memberships if m.role != Membership.Role.STUDENT]
        context = {"show_email": cohort.can_view_roster}
        return Response(CohortDetailOutput(cohort, context=context).data)

    @action(detail=True, methods=["get"], pagination_class=None)
    def schedule(self, request: Request, slug: str) -> Response:
        cohort = selectors.cohort_get_for_user(request.user, slug)
        student = request.user if selectors.student_membership(cohort, request.user) else None
        rows = [
            {
                "number": week.number,
                "title": week.title,
                "opens_at": window.opens_at,
                "due_at": window.due_at,
                "extended_due_at": window.extended_due_at,
                "effective_due_at": window.effective_due_at,
            }
            for week, window in selectors.cohort_schedule(cohort, student=student)
        ]
        return Response(ScheduleWeekOutput(rows, many=True).data)


class _InCohort(viewsets.GenericViewSet):
    lookup_value_regex = r"[0-9]{1,18}"

    def cohort(self) -> Cohort:
        if not hasattr(self, "_cohort"):
            self._cohort = selectors.cohort_get_for_user(self.request.user, self.kwargs["cohort_slug"])
        return self._cohort


@extend_schema_view(
    list=extend_schema(
        summary="Members of a cohort (students see only who teaches)",
        tags=["cohorts"],
        parameters=[COHORT_SLUG, MembershipListQuery],
    ),
    create=extend_schema(
        summary="Add a person to the cohort (instructors, admins)",
        tags=["cohorts"],
        parameters=[COHORT_SLUG],
        request=MembershipCreateInput,
        responses={201: MembershipOutput, 200: MembershipOutput},
    ),
    destroy=extend_schema(
        summary="Remove a member and their mentor assignments (instructors, admins)",
        tags=["cohorts"],
        parameters=[COHORT_SLUG, ID],
    ),
)
class MembershipViewSet(_InCohort):
    serializer_class = MembershipOutput
    pagination_class = CursorPagination

    def list(self, request: Request, cohort_slug: str) -> Response:
        query = MembershipListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        cohort = self.cohort()
        show_roster = policies.can_view_roster(request.user, cohort)
        members = selectors.cohort_memberships(cohort, with_students=show_roster, role=query.validated_data.get("role"))
        page = self.paginate_queryset(members)
        data = MembershipOutput(page, many=True, context={"show_email": show_roster}).data
        return self.get_paginated_response(data)

    @idempotent
    def create(self, request: Request, cohort_slug: str) -> Response:
        cohort = _managed(request, self.cohort())
        given = MembershipCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        user = user_get_by_email(given.validated_data["email"])
        if user is None:
            raise exceptions.ValidationError({"email": ["No account uses this e-mail address."]})
        try:
            membership, created = services.membership_ensure(
                cohort=cohort, user=user, role=given.validated_data["role"]
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc, {"user": "email"}) from exc
        return Response(
            MembershipOutput(membership, context={"show_email": True}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def destroy(self, request: Request, cohort_slug: str, pk: str) -> Response:
        cohort = _managed(request, self.cohort())
        services.membership_remove(membership=selectors.membership_get(cohort, int(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Who mentors whom (mentors, instructors, admins)", tags=["cohorts"], parameters=[COHORT_SLUG]
    ),
    create=extend_schema(
        summary="Assign a mentor to a student (instructors, admins)",
        tags=["cohorts"],
        parameters=[COHORT_SLUG],
        request=MentorAssignmentCreateInput,
        responses={201: MentorAssignmentOutput},
    ),
    destroy=extend_schema(summary="Remove a mentor assignment", tags=["cohorts"], parameters=[COHORT_SLUG, ID]),
)
class MentorAssignmentViewSet(_InCohort):
    serializer_class = MentorAssignmentOutput

    def list(self, request: Request, cohort_slug: str) -> Response:
        cohort = self.cohort()
        if not policies.can_view_roster(request.user, cohort):
            raise exceptions.PermissionDenied("Only the cohort's mentors, instructors and admins see its roster.")
        page = self.paginate_queryset(selectors.cohort_mentor_assignments(cohort))
        return self.get_paginated_response(MentorAssignmentOutput(page, many=True, context={"show_email": True}).data)

    @idempotent
    def create(self, request: Request, cohort_slug: str) -> Response:
        cohort = _managed(request, self.cohort())
        given = MentorAssignmentCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        mentor = _user_in_cohort(cohort, given.validated_data["mentor"], "mentor")
        student = _user_in_cohort(cohort, given.validated_data["student"], "student")
        if mentor.pk == student.pk:
            raise exceptions.ValidationError({"student": ["A mentor cannot mentor themselves."]})
        assignment = services.mentor_assign(cohort=cohort, mentor=mentor, student=student)
        data = MentorAssignmentOutput(assignment, context={"show_email": True}).data
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, cohort_slug: str, pk: str) -> Response:
        cohort = _managed(request, self.cohort())
        services.mentor_unassign(assignment=selectors.mentor_assignment_get(cohort, int(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="Extensions granted in a cohort (instructors, admins)", tags=["cohorts"], parameters=[COHORT_SLUG]
    ),
    create=extend_schema(
        summary="Grant (or move) an extension for one student and week",
        tags=["cohorts"],
        parameters=[COHORT_SLUG],
        request=ExtensionCreateInput,
        responses={201: ExtensionOutput},
    ),
    destroy=extend_schema(summary="Withdraw an extension", tags=["cohorts"], parameters=[COHORT_SLUG, ID]),
)
class ExtensionViewSet(_InCohort):
    serializer_class = ExtensionOutput

    def list(self, request: Request, cohort_slug: str) -> Response:
        cohort = _managed(request, self.cohort())
        page = self.paginate_queryset(selectors.cohort_extensions(cohort))
        return self.get_paginated_response(ExtensionOutput(page, many=True, context={"show_email": True}).data)

    @idempotent
    def create(self, request: Request, cohort_slug: str) -> Response:
        cohort = _managed(request, self.cohort())
        given = ExtensionCreateInput(data=request.data)
        with timezone.override(zoneinfo.ZoneInfo(cohort.time_zone)):  # a time without offset is the cohort's
            given.is_valid(raise_exception=True)
        data = given.validated_data
        student = _user_in_cohort(cohort, data["student"], "student")
        week = course_week(cohort.course, data["week"])
        if week is None:
            raise exceptions.ValidationError({"week": ["The cohort's course has no such week."]})
        extension = services.extension_grant(
            cohort=cohort,
            student=student,
            week=week,
            due_at=data["due_at"],
            reason=data["reason"],
            granted_by=request.user,
        )
        return Response(ExtensionOutput(extension, context={"show_email": True}).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, cohort_slug: str, pk: str) -> Response:
        cohort = _managed(request, self.cohort())
        services.extension_revoke(extension=selectors.extension_get(cohort, int(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    create=extend_schema(
        summary="Invite an e-mail address to the cohort (instructors, admins)",
        description="E-mails a single-use link that expires after COHORT_INVITATION_DAYS days; inviting the "
        "same address again replaces its pending invitation. The link itself is never returned.",
        tags=["cohorts"],
        parameters=[COHORT_SLUG],
        request=InvitationCreateInput,
        responses={201: InvitationOutput},
    ),
)
class InvitationViewSet(_InCohort):
    serializer_class = InvitationOutput

    @idempotent
    def create(self, request: Request, cohort_slug: str) -> Response:
        cohort = self.cohort()
        if not policies.can_invite(request.user, cohort):
            raise exceptions.PermissionDenied("Only the cohort's instructors and admins invite people.")
        given = InvitationCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        invitation, _ = services.invitation_create(cohort=cohort, invited_by=request.user, **given.validated_data)
        return Response(InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)
