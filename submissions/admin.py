from django.contrib import admin

from .models import Artifact, Retrospective, Revision, RevisionArtifact, RiskEntry, WeeklyWork


class ReadOnlyAdmin(admin.ModelAdmin):
    """Submitted work is evidence: the admin may look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RevisionArtifactInline(admin.TabularInline):
    model = RevisionArtifact
    extra = 0
    can_delete = False
    readonly_fields = ["artifact"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    list_display = ["work", "number", "submitted_at", "is_late", "submitted_by"]
    list_filter = ["is_late"]
    list_select_related = ["work__student", "work__week", "work__deliverable", "submitted_by"]
    search_fields = ["work__student__email"]
    inlines = [RevisionArtifactInline]


@admin.register(RevisionArtifact)
class RevisionArtifactAdmin(ReadOnlyAdmin):
    list_display = ["revision", "artifact"]
    list_select_related = ["revision", "artifact"]


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "work", "kind", "content_type", "size", "sha256", "detached_at"]
    list_select_related = ["work__student", "work__week", "work__deliverable"]
    search_fields = ["original_name", "sha256", "work__student__email"]


@admin.register(WeeklyWork)
class WeeklyWorkAdmin(ReadOnlyAdmin):
    list_display = ["student", "cohort", "week", "deliverable", "state", "draft_version", "updated_at"]
    list_filter = ["state", "cohort"]
    list_select_related = ["student", "cohort", "week", "deliverable"]
    search_fields = ["student__email"]


@admin.register(RiskEntry)
class RiskEntryAdmin(admin.ModelAdmin):
    list_display = ["title", "student", "cohort", "kind", "severity", "status", "week_opened", "week_closed"]
    list_filter = ["kind", "severity", "status"]
    list_select_related = ["student", "cohort", "week_opened", "week_closed"]
    search_fields = ["title", "student__email"]


@admin.register(Retrospective)
class RetrospectiveAdmin(admin.ModelAdmin):
    list_display = ["student", "cohort", "week", "updated_at"]
    list_select_related = ["student", "cohort", "week"]
    search_fields = ["student__email"]
