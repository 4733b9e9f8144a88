from django.contrib import admin

from .models import Credential


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    """Read-only: credentials are issued by the learner's claim and revoked by what happens to
    their portfolio (unpublishing, making it private, moderation in the portfolio admin)."""

    list_display = ("title", "user", "issued_at", "revoked_at", "revocation_reason", "status_index")
    list_filter = ("revocation_reason",)
    search_fields = ("title", "user__email", "=id")
    readonly_fields = [f.name for f in Credential._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
