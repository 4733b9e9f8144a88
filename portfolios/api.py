"""Portfolios, as on the editor and the public page: your own portfolio (read, update), your
entries (list, publish an accepted work, unpublish), and the read of a visible portfolio by
slug with what /p/<slug>/ shows (published entries only; private portfolios only to the
learner, their mentors and admins; 404 for everyone else). portfolios.policies decides;
portfolios.services changes."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ReadableByAnyoneWithScope
from api.etag import ETagMixin
from api.idempotency import idempotent

from . import policies, selectors, services
from .models import Portfolio, PortfolioEntry
from .serializers import (
    MyEntryListQuery,
    MyEntryOutput,
    PortfolioOutput,
    PortfolioUpdateInput,
    PublicPortfolioOutput,
    PublishInput,
)

# --- Views ---------------------------------------------------------------------------------


class MyPortfolioView(APIView):
    """The signed-in learner's own portfolio (the editor page)."""

    @extend_schema(summary="Your portfolio", tags=["portfolios"], responses=PortfolioOutput)
    def get(self, request: Request) -> Response:
        portfolio = selectors.portfolio_of(request.user)
        if portfolio is None:  # not saved yet: what the editor suggests
            portfolio = Portfolio(
                user=request.user,
                slug=services.portfolio_slug_suggestion(request.user),
                display_name=request.user.display_name[:120],
                visibility=Portfolio.Visibility.PRIVATE,
            )
        return Response(PortfolioOutput(portfolio).data)

    @extend_schema(
        summary="Update your portfolio's profile (created, private, on first save)",
        tags=["portfolios"],
        request=PortfolioUpdateInput,
        responses=PortfolioOutput,
    )
    def put(self, request: Request) -> Response:
        given = PortfolioUpdateInput(data=request.data)
        given.is_valid(raise_exception=True)
        portfolio = services.portfolio_ensure(user=request.user)
        portfolio = services.portfolio_update_profile(portfolio=portfolio, **given.validated_data)
        return Response(PortfolioOutput(portfolio).data)


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="An entry id.")


@extend_schema_view(
    list=extend_schema(
        summary="Your portfolio entries, published or not", tags=["portfolios"], parameters=[MyEntryListQuery]
    ),
    create=extend_schema(
        summary="Publish (or republish) an accepted work as a portfolio entry",
        tags=["portfolios"],
        request=PublishInput,
        responses={201: MyEntryOutput, 200: MyEntryOutput},
    ),
    unpublish=extend_schema(
        summary="Take an entry off your public page",
        tags=["portfolios"],
        parameters=[ID],
        request=None,
        responses=MyEntryOutput,
    ),
)
class MyEntryViewSet(viewsets.GenericViewSet):
    serializer_class = MyEntryOutput
    lookup_value_regex = r"[0-9]{1,18}"
    queryset = PortfolioEntry.objects.none()

    def _context(self) -> dict:
        portfolio = selectors.portfolio_of(self.request.user)
        return {"slug": portfolio.slug if portfolio else ""}

    def list(self, request: Request) -> Response:
        query = MyEntryListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        entries = selectors.entries_of(request.user, published=query.validated_data["published"])
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(MyEntryOutput(page, many=True, context=self._context()).data)

    @idempotent
    def create(self, request: Request) -> Response:
        given = PublishInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        try:
            work = policies.work_get_for_publish(request.user, data["work"])
        except Http404:  # a reference in the body: a field error, saying nothing about others' work
            raise exceptions.ValidationError({"work": ["You have no accepted work with this id."]}) from None
        entry, created = services.entry_publish_or_republish(
            work=work,
            by=request.user,
            narrative=data["narrative"],
            artifact_ids=data["artifact_ids"],
            include_score=data["include_score"],
        )
        return Response(
            MyEntryOutput(entry, context=self._context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str) -> Response:
        entry = services.entry_unpublish(entry=policies.entry_get_for_owner(request.user, int(pk)), by=request.user)
        return Response(MyEntryOutput(entry, context=self._context()).data)


@extend_schema_view(
    retrieve=extend_schema(
        summary="A visible portfolio with its published entries (what /p/<slug>/ shows)",
        tags=["portfolios"],
        parameters=[OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)],
        responses=PublicPortfolioOutput,
    )
)
class PublicPortfolioViewSet(ETagMixin, viewsets.GenericViewSet):
    permission_classes = [ReadableByAnyoneWithScope]
    lookup_field = "slug"
    lookup_value_regex = r"[^/]{1,100}"
    queryset = Portfolio.objects.none()

    def retrieve(self, request: Request, slug: str) -> Response:
        portfolio = policies.portfolio_get_for_viewer(request.user, slug)
        page = selectors.portfolio_page(portfolio)
        data = {
            "slug": portfolio.slug,
            "display_name": portfolio.display_name,
            "headline": portfolio.headline,
            "bio": portfolio.bio,
            "links": portfolio.links,
            "entries": page.entries,
        }
        return Response(PublicPortfolioOutput(data, context={"slug": portfolio.slug}).data)
