"""Portfolio pages and their published entries.

A learner has one `Portfolio`. Publishing an accepted week or capstone deliverable creates
a `PortfolioEntry`: a snapshot copied at publish time (title, week and phase, Bloom levels,
the learner's narrative, optionally the mentor's score) plus `PortfolioEntryArtifact` rows
freezing the chosen proof artifacts' name, size and SHA-256. Later edits to the work never
change an entry; only republishing (portfolios.services.entry_publish) replaces the snapshot.

`Portfolio.version` is the cache stamp of the public page: every service that changes what
the page shows raises it, so a cached page for an older version is simply never read again.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone

from submissions.models import Artifact, Revision, WeeklyWork

SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])"
SLUG_RE = re.compile(rf"^{SLUG_PATTERN}$")
# Words that name routes (or might one day), so a portfolio can never shadow or look like one.
RESERVED_SLUGS = frozenset(
    {
        ".well-known",  # not a valid slug anyway; listed so the route walk finds it reserved
        "about",
        "accounts",
        "admin",
        "api",
        "artifacts",
        "calendar",
        "cohorts",
        "course",
        "courses",
        "credentials",
        "curriculum",
        "dashboard",
        "docs",
        "evidence",
        "export",
        "feedback",
        "healthz",
        "help",
        "insights",
        "login",
        "lti",
        "markdown",
        "logout",
        "media",
        "metrics",
        "new",
        "notifications",
        "p",
        "portfolio",
        "portfolios",
        "privacy",
        "progress",
        "publish",
        "readyz",
        "reports",
        "review",
        "settings",
        "signup",
        "start",
        "static",
        "weeks",
        "work",
        "www",
    }
)
MAX_LINKS = 8


def validate_portfolio_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            "Use 3–40 lower-case letters, digits and hyphens, starting and ending with a letter or digit.",
            code="invalid_slug",
        )
    if "--" in value:
        raise ValidationError("Use single hyphens between words.", code="invalid_slug")
    if value in RESERVED_SLUGS:
        raise ValidationError("That address is reserved; choose another.", code="reserved_slug")


_http_url = URLValidator(schemes=["http", "https"])


def validate_links(value) -> None:
    """A list of at most eight {"label", "url"} objects with http(s) URLs."""
    if not isinstance(value, list):
        raise ValidationError("Links must be a list.", code="invalid_links")
    if len(value) > MAX_LINKS:
        raise ValidationError(f"At most {MAX_LINKS} links.", code="too_many_links")
    for item in value:
        if not isinstance(item, dict) or set(item) != {"label", "url"}:
            raise ValidationError("Each link needs a label and a URL.", code="invalid_links")
        label, url = item["label"], item["url"]
        if not isinstance(label, str) or not label.strip() or len(label) > 60:
            raise ValidationError("Each link needs a label of at most 60 characters.", code="invalid_links")
        if not isinstance(url, str) or len(url) > 500:
            raise ValidationError(f"“{label}”: the URL is too long.", code="invalid_links")
        try:
            _http_url(url)
        except ValidationError:
            raise ValidationError(
                f"“{label}”: enter a full web address starting with https:// or http://.", code="invalid_links"
            ) from None


class Portfolio(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private: only you and your mentors"
        UNLISTED = "unlisted", "Unlisted: anyone with the link, hidden from search engines"
        PUBLIC = "public", "Public"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portfolio")
    slug = models.CharField(max_length=40, unique=True, validators=[validate_portfolio_slug])
    display_name = models.CharField(max_length=120)
    headline = models.CharField(max_length=200, blank=True, help_text="One line a hiring manager reads first.")
    bio = models.TextField(max_length=5000, blank=True, help_text="A short story, in markdown.")
    links = models.JSONField(default=list, blank=True, validators=[validate_links])
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    show_scores = models.BooleanField(
        default=False, help_text="Offer to include the mentor's rubric score when publishing an entry."
    )
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Raised by every visible change.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(
        default=timezone.now, help_text="When the public page last changed (Last-Modified)."
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(condition=models.Q(version__gte=1), name="portfolio_version_positive"),
            models.CheckConstraint(
                condition=models.Q(visibility__in=["private", "unlisted", "public"]), name="portfolio_visibility_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.slug})"

    @property
    def is_indexable(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def is_world_visible(self) -> bool:
        return self.visibility_is_world_visible(self.visibility)

    @classmethod
    def visibility_is_world_visible(cls, visibility: str) -> bool:
        """Whether a portfolio with this visibility is readable by anyone with the link (also
        asked of a cached head, without a model instance)."""
        return visibility in (cls.Visibility.PUBLIC, cls.Visibility.UNLISTED)


class PortfolioEntryQuerySet(models.QuerySet):
    def published(self) -> "PortfolioEntryQuerySet":
        return self.filter(unpublished_at__isnull=True)

    def for_page(self) -> "PortfolioEntryQuerySet":
        return self.published().order_by("-featured", "order", "pk")


class PortfolioEntry(models.Model):
    """A published snapshot of one accepted revision. Every content field is copied at
    publish time and changes only when the learner republishes."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="entries")
    work = models.ForeignKey(WeeklyWork, on_delete=models.PROTECT, related_name="portfolio_entries")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="portfolio_entries")
    # Snapshot
    title = models.CharField(max_length=300)
    is_capstone = models.BooleanField(default=False)
    week_number = models.PositiveSmallIntegerField(null=True, blank=True)
    phase = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Course phase 1–3 (weeks only).")
    capstone_project = models.CharField(max_length=200, blank=True)
    bloom_levels = models.JSONField(default=list, blank=True, help_text='[{"key": "analyze", "name": "Analyze"}, …]')
    narrative = models.TextField(max_length=10000, help_text="Markdown, written for a hiring manager.")
    mentor_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    revision_number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    # Presentation
    order = models.PositiveIntegerField(default=0)
    featured = models.BooleanField(default=False)
    unpublished_at = models.DateTimeField(null=True, blank=True)

    objects = PortfolioEntryQuerySet.as_manager()

    class Meta:
        ordering = ["portfolio", "order", "pk"]
        verbose_name_plural = "portfolio entries"
        constraints = [
            models.UniqueConstraint(fields=["portfolio", "work"], name="portfolio_entry_one_per_work"),
            models.CheckConstraint(
                condition=models.Q(is_capstone=True, week_number__isnull=True)
                | models.Q(is_capstone=False, week_number__isnull=False),
                name="portfolio_entry_week_or_capstone",
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "unpublished_at", "order"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.unpublished_at is None


class PortfolioEntryArtifact(models.Model):
    """A proof artifact of an entry, with the metadata frozen at publish time."""

    entry = models.ForeignKey(PortfolioEntry, on_delete=models.CASCADE, related_name="proofs")
    artifact = models.ForeignKey(Artifact, on_delete=models.PROTECT, related_name="portfolio_proofs")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Artifact.Kind.choices)
    name = models.CharField(max_length=1000)
    url = models.URLField(max_length=1000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    proves = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["entry", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "artifact"], name="portfolio_proof_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_file(self) -> bool:
        return self.kind == Artifact.Kind.FILE
