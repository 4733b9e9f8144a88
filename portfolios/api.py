"""Portfolios, as on the editor and the public page: your own portfolio (read, update), your
entries (list, publish an accepted work, unpublish), and the read of a visible portfolio by
slug with what /p/<slug>/ shows (published entries only; private portfolios only to the
learner, their mentors and admins; 404 for everyone else). portfolios.policies decides;
portfolios.services changes."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.etag import ETagMixin
from api.exceptions import validation_error_from_django
from api.idempotency import idempotent
from api.permissions import ReadableByAnyoneWithScope

from . import policies, selectors, services
from .models import Portfolio, PortfolioEntry

# --- Serializers ---------------------------------------------------------------------------


class LinkSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=60)
    url = serializers.URLField(max_length=500)


class BloomLevelRefOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class PortfolioOutput(serializers.ModelSerializer):
    links = LinkSerializer(many=True)
    visibility = serializers.ChoiceField(choices=Portfolio.Visibility.choices)
    exists = serializers.SerializerMethodField(
        help_text="False until the first save; the profile then shows the suggested slug and name, as the editor does."
    )
    public_url = serializers.SerializerMethodField(help_text="The public page's path, /p/<slug>/; null until saved.")

    class Meta:
        model = Portfolio
        fields = [
            "exists",
            "slug",
            "display_name",
            "headline",
            "bio",
            "links",
            "visibility",
            "show_scores",
            "public_url",
        ]

    def get_exists(self, portfolio: Portfolio) -> bool:
        return portfolio.pk is not None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_public_url(self, portfolio: Portfolio) -> str | None:
        if portfolio.pk is None:
            return None
        return reverse("portfolios:public", kwargs={"slug": portfolio.slug})


class PortfolioUpdateInput(serializers.Serializer):
    slug = serializers.CharField(max_length=40, help_text="3–40 lower-case letters, digits and single hyphens.")
    display_name = serializers.CharField(max_length=120)
    headline = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    bio = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="", help_text="Markdown.")
    links = LinkSerializer(many=True, required=False, default=list, max_length=8)
    visibility = serializers.ChoiceField(choices=Portfolio.Visibility.choices)
    show_scores = serializers.BooleanField(required=False, default=False)


class ProofOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    proves = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    href = serializers.CharField(help_text="The download path of a file, or the link's URL.")


class EntryOutput(serializers.ModelSerializer):
    bloom_levels = BloomLevelRefOutput(many=True)
    mentor_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    proofs = serializers.SerializerMethodField()

    class Meta:
        model = PortfolioEntry
        fields = [
            "id",
            "title",
            "is_capstone",
            "week_number",
            "phase",
            "capstone_project",
            "bloom_levels",
            "narrative",
            "mentor_score",
            "revision_number",
            "published_at",
            "featured",
            "proofs",
        ]

    @extend_schema_field(ProofOutput(many=True))
    def get_proofs(self, entry: PortfolioEntry) -> list:
        slug = self.context["slug"]
        proofs = []
        for proof in entry.proofs.all():
            proof.href = (
                reverse("portfolios:download", kwargs={"slug": slug, "pk": proof.pk}) if proof.is_file else proof.url
            )
            proofs.append(proof)
        return ProofOutput(proofs, many=True).data


class MyEntryOutput(EntryOutput):
    work = serializers.IntegerField(source="work_id")
    is_published = serializers.BooleanField()
    unpublished_at = serializers.DateTimeField(allow_null=True)

    class Meta(EntryOutput.Meta):
        fields = [*EntryOutput.Meta.fields, "work", "is_published", "unpublished_at"]


class PublicPortfolioOutput(serializers.Serializer):
    slug = serializers.CharField()
    display_name = serializers.CharField()
    headline = serializers.CharField()
    bio = serializers.CharField(help_text="Markdown.")
    links = LinkSerializer(many=True)
    entries = EntryOutput(many=True, help_text="Published entries only.")


class PublishInput(serializers.Serializer):
    work = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="An accepted work of yours.")
    narrative = serializers.CharField(max_length=10000, help_text="Markdown, written for a hiring manager.")
    artifact_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=50,
        help_text="Proof artifacts of the accepted revision to show.",
    )
    include_score = serializers.BooleanField(required=False, default=False)


# --- Views ---------------------------------------------------------------------------------


def _raise_service_error(exc: DjangoValidationError):
    raise validation_error_from_django(exc) from exc


class MyPortfolioView(APIView):
    """The signed-in learner's own portfolio (the editor page)."""

    @extend_schema(summary="Your portfolio", tags=["portfolios"], responses=PortfolioOutput)
    def get(self, request: Request) -> Response:
        portfolio = Portfolio.objects.filter(user=request.user).first()
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
        try:
            portfolio = services.portfolio_ensure(user=request.user)
            portfolio = services.portfolio_update_profile(portfolio=portfolio, **given.validated_data)
        except DjangoValidationError as exc:
            _raise_service_error(exc)
        return Response(PortfolioOutput(portfolio).data)


ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="An entry id.")


class MyEntryListQuery(serializers.Serializer):
    published = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only entries on (true) or off (false) your page."
    )


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
        portfolio = Portfolio.objects.filter(user=self.request.user).first()
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
        existed = PortfolioEntry.objects.filter(portfolio__user=request.user, work=work).exists()
        try:
            entry = services.entry_publish(
                work=work,
                by=request.user,
                narrative=data["narrative"],
                artifact_ids=data["artifact_ids"],
                include_score=data["include_score"],
            )
        except DjangoValidationError as exc:
            _raise_service_error(exc)
        entry = PortfolioEntry.objects.prefetch_related("proofs").get(pk=entry.pk)
        return Response(
            MyEntryOutput(entry, context=self._context()).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["post"])
    def unpublish(self, request: Request, pk: str) -> Response:
        entry = (
            PortfolioEntry.objects.select_related("portfolio", "work")
            .filter(pk=int(pk), portfolio__user=request.user)
            .first()
        )
        if entry is None:
            raise Http404("No such entry.")
        try:
            entry = services.entry_unpublish(entry=entry, by=request.user)
        except DjangoValidationError as exc:
            _raise_service_error(exc)
        entry = PortfolioEntry.objects.prefetch_related("proofs").get(pk=entry.pk)
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
