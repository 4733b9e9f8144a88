"""LTI 1.3 tool side: who the platforms are and how their contexts, people and links map to
ours. The contract other code builds on (grade passback, roster sync) is documented in
docs/integrations.md, "LTI 1.3: the data model"; keep these names stable.

The tool's private keys are never stored here: they come from the environment or a file
(lti/keys.py)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


def validate_origins(value: str) -> None:
    for origin in value.split():
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
            raise ValidationError(f"“{origin}” is not an origin such as https://lms.example.edu.", code="bad_origin")


class PlatformQuerySet(models.QuerySet):
    def active(self) -> "PlatformQuerySet":
        return self.filter(is_active=True)


class Platform(models.Model):
    """One registration of this tool at an LMS: the values the LMS shows after the tool is
    added there (Canvas' developer key, Moodle's external tool, Brightspace's LTI Advantage
    tool registration). One issuer may register the tool more than once (client ids)."""

    name = models.CharField(max_length=120, help_text="Shown to admins, e.g. “Example University Canvas”.")
    issuer = models.URLField(
        max_length=255, help_text="The platform's issuer (`iss`), e.g. https://canvas.instructure.com."
    )
    client_id = models.CharField(max_length=255, help_text="The client id the platform gave this tool (the JWT `aud`).")
    auth_login_url = models.URLField(
        max_length=500, help_text="The platform's OIDC authentication request URL (where login initiation redirects)."
    )
    access_token_url = models.URLField(
        max_length=500, help_text="The platform's OAuth 2 access token URL (for grade passback and roster sync)."
    )
    jwks_url = models.URLField(max_length=500, help_text="The platform's public key set (JWKS) URL.")
    audience = models.CharField(
        max_length=500,
        blank=True,
        help_text="The `aud` of our client assertion at the token URL, when the platform wants another value than "
        "the token URL (Brightspace: https://api.brightspace.com/auth/token).",
    )
    frame_origins = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_origins],
        help_text="Origins allowed to frame launched pages, separated by spaces, when the LMS is not served from "
        "its issuer's origin (Canvas: your Canvas address, e.g. https://uni.instructure.com). Empty: the issuer's.",
    )
    is_active = models.BooleanField(default=True, help_text="Untick to refuse every launch from this platform.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlatformQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_platform_issuer_client")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def origin(self) -> str:
        """The origins allowed to frame launched pages (a CSP source list): `frame_origins`, or
        scheme://host[:port] of the issuer."""
        if self.frame_origins.strip():
            return " ".join(self.frame_origins.split())
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(models.Model):
    """A deployment id of a platform (an install of the tool in an account, a course or the
    whole site). A launch naming an unknown deployment is refused."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "deployment_id"], name="lti_deployment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.deployment_id}"


class Context(models.Model):
    """An LMS course (the launch's context claim) and the one cohort it maps to. The cohort is
    empty until an instructor's first launch creates it (choosing the course version). The
    service URLs are the ones the latest launch announced (AGS line items, NRPS memberships)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)
    cohort = models.OneToOneField(
        "cohorts.Cohort", on_delete=models.SET_NULL, null=True, blank=True, related_name="lti_context"
    )
    lineitems_url = models.URLField(max_length=500, blank=True, help_text="AGS: the context's line items URL.")
    ags_scopes = models.JSONField(default=list, blank=True, help_text="AGS: the scopes the platform granted.")
    memberships_url = models.URLField(max_length=500, blank=True, help_text="NRPS: the context memberships URL.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="lti_context_unique")]

    def __str__(self) -> str:
        return self.title or self.context_id


class LmsAccount(models.Model):
    """An LMS person (`sub`, stable per issuer) linked to one of our accounts. Found by `sub`
    only, never by e-mail: an existing account with the same address is linked only after its
    owner signs in and confirms (lti.services.lms_account_link)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="accounts")
    issuer = models.URLField(max_length=255, help_text="Copied from the platform: `sub` is unique per issuer.")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_accounts")
    email = models.EmailField(blank=True, help_text="As the LMS last sent it; never used to find the account.")
    name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="lti_account_issuer_sub")]

    def __str__(self) -> str:
        return f"{self.sub} at {self.issuer}"


class ResourceLink(models.Model):
    """A link placed in an LMS course (resource link id, unique per context) and what it opens:
    one week or one capstone deliverable. `line_item_url` is the AGS line item the scores of
    that target go to (from the launch's endpoint claim, or created by grade passback)."""

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    week = models.ForeignKey(
        "curriculum.Week", on_delete=models.PROTECT, null=True, blank=True, related_name="lti_resource_links"
    )
    deliverable = models.ForeignKey(
        "curriculum.CapstoneDeliverable",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lti_resource_links",
    )
    line_item_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "resource_link_id"], name="lti_resource_link_unique"),
            models.CheckConstraint(
                condition=~(models.Q(week__isnull=False) & models.Q(deliverable__isnull=False)),
                name="lti_resource_link_one_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id

    def clean(self) -> None:
        if self.week_id and self.deliverable_id:
            raise ValidationError("A link opens a week or a capstone deliverable, not both.")


class GradeSync(models.Model):
    """One accepted decision's score on its way to the LMS (AGS): exactly one row per
    accepting assessment, so however often the task runs, the decision is sent once
    (lti/services/grades.py). What the gradebook's sync page shows: sent, waiting, failed and why."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        RETRYING = "retrying", "Will be tried again"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    assessment = models.OneToOneField(
        "rubrics.Assessment",
        on_delete=models.CASCADE,
        related_name="lti_grade_sync",
        help_text="The accepting decision.",
    )
    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="grade_syncs")
    work = models.ForeignKey("submissions.WeeklyWork", on_delete=models.CASCADE, related_name="lti_grade_syncs")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_grade_syncs")
    lms_account = models.ForeignKey(LmsAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resource_link = models.ForeignKey(ResourceLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    line_item_url = models.URLField(max_length=500, blank=True)
    score_given = models.DecimalField(max_digits=5, decimal_places=2)
    score_maximum = models.DecimalField(max_digits=5, decimal_places=2, default=100)
    timestamp = models.DateTimeField(help_text="The decision's instant, sent as the score's timestamp.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["context", "status"], name="lti_gradesync_context_status")]

    def __str__(self) -> str:
        return f"Score of assessment {self.assessment_id}: {self.get_status_display()}"


class RosterSync(models.Model):
    """One read of an LMS course's roster (NRPS) and the plan it gave: shown to the
    instructor as a preview, applied at most once (lti/services/roster.py)."""

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="roster_syncs")
    cohort = models.ForeignKey("cohorts.Cohort", on_delete=models.CASCADE, related_name="lti_roster_syncs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    members_read = models.PositiveIntegerField(default=0)
    plan = models.JSONField(default=dict, help_text="add, change, remove, waiting, kept: lists of people.")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Roster of {self.context} read {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def changes(self) -> int:
        return sum(len(self.plan.get(key, [])) for key in ("add", "change", "remove"))
