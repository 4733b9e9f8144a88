from django.contrib import admin

from . import keys
from .models import Context, Deployment, LmsAccount, Platform, ResourceLink


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1
    fields = ("deployment_id", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    """Registering an LMS: paste the values it shows after the tool was added there; give it
    ours (docs/integrations.md, "Registering the tool"). No key is entered here: the
    platform's keys are read from its JWKS URL, ours come from the environment."""

    list_display = ("name", "issuer", "client_id", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "issuer", "client_id")
    inlines = [DeploymentInline]
    readonly_fields = ("tool_key_ids",)

    @admin.display(description="Our key ids (kid) in the JWKS")
    def tool_key_ids(self, obj) -> str:
        return ", ".join(key["kid"] for key in keys.published_keys()) or "No key configured (LTI_PRIVATE_KEY_FILE)."


@admin.register(Context)
class ContextAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "context_id", "cohort", "updated_at")
    list_select_related = ("platform", "cohort")
    search_fields = ("title", "label", "context_id", "cohort__name")
    raw_id_fields = ("cohort",)
    readonly_fields = ("platform", "deployment", "context_id", "lineitems_url", "ags_scopes", "memberships_url")


@admin.register(LmsAccount)
class LmsAccountAdmin(admin.ModelAdmin):
    """Seen, and removable (a wrong link is undone by deleting it); made only by launches."""

    list_display = ("user", "issuer", "sub", "email", "last_launch_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "sub", "email")
    readonly_fields = ("platform", "issuer", "sub", "user", "email", "name", "created_at", "last_launch_at")

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ResourceLink)
class ResourceLinkAdmin(admin.ModelAdmin):
    list_display = ("__str__", "context", "week", "deliverable", "line_item_url")
    list_select_related = ("context", "week", "deliverable")
    search_fields = ("title", "resource_link_id")
    readonly_fields = ("context", "resource_link_id")
