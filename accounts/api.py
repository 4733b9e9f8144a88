"""The signed-in person (`/api/v1/me/`) and their personal access tokens."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.exceptions import validation_error_from_django

from . import selectors
from .models import PersonalAccessToken, User
from .roles import roles_of
from .serializers import (
    MeOutput,
    MeUpdateInput,
    TokenCreatedOutput,
    TokenCreateInput,
    TokenListQuery,
    TokenOutput,
)
from .services import token_create, token_revoke, user_update_profile

# --- The signed-in person ------------------------------------------------------------------


def _me_data(user: User) -> dict:
    user.roles = sorted(roles_of(user))
    return MeOutput(user).data


class MeView(APIView):
    @extend_schema(summary="The signed-in person", tags=["accounts"], responses=MeOutput)
    def get(self, request: Request) -> Response:
        return Response(_me_data(request.user))

    @extend_schema(
        summary="Change your name or time zone", tags=["accounts"], request=MeUpdateInput, responses=MeOutput
    )
    def patch(self, request: Request) -> Response:
        given = MeUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        user = request.user
        user_update_profile(
            user=user,
            name=given.validated_data.get("name", user.name),
            time_zone=given.validated_data.get("time_zone", user.time_zone),
        )
        return Response(_me_data(user))


# --- Personal access tokens ----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Your access tokens", tags=["accounts"], parameters=[TokenListQuery]),
    create=extend_schema(
        summary="Create an access token (signed-in browser session only)",
        description="Returns the secret once. Not available to token-authenticated clients, so a token can never "
        "mint another. Deliberately not idempotent: the secret must never be stored for a replay.",
        tags=["accounts"],
        request=TokenCreateInput,
        responses={201: TokenCreatedOutput},
    ),
    destroy=extend_schema(
        summary="Revoke an access token",
        tags=["accounts"],
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    ),
)
class TokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenOutput
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return selectors.tokens_of(self.request.user)

    def list(self, request: Request) -> Response:
        query = TokenListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = self.paginate_queryset(selectors.tokens_of(request.user, active=query.validated_data.get("active")))
        return self.get_paginated_response(TokenOutput(page, many=True).data)

    def create(self, request: Request) -> Response:
        if isinstance(request.auth, PersonalAccessToken):
            raise exceptions.PermissionDenied("Create tokens from a signed-in browser session, not with a token.")
        given = TokenCreateInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            token, plaintext = token_create(
                user=request.user,
                name=data["name"],
                scope=data["scope"],
                expires_at=timezone.now() + datetime.timedelta(days=data["expires_in_days"]),
            )
        except DjangoValidationError as exc:
            raise validation_error_from_django(exc, {"expires_at": "expires_in_days"}) from exc
        token.plaintext = plaintext
        return Response(
            TokenCreatedOutput(token).data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"}
        )

    def destroy(self, request: Request, pk: str) -> Response:
        token_revoke(token=selectors.token_get_for_owner(request.user, int(pk)))
        return Response(status=status.HTTP_204_NO_CONTENT)
