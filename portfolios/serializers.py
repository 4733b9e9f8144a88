"""The portfolios API's input and output serializers (the viewsets are in api.py)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Portfolio, PortfolioEntry


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


class MyEntryListQuery(serializers.Serializer):
    published = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Only entries on (true) or off (false) your page."
    )
