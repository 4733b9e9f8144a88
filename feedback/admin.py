from django.contrib import admin

from .models import Anchor, Comment, Thread


class AnchorInline(admin.TabularInline):
    model = Anchor
    extra = 0
    can_delete = False
    fields = ["revision", "state", "field", "quote", "start", "end"]
    readonly_fields = fields


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    can_delete = False
    fields = ["author", "body", "created_at", "edited_at", "removed_at"]
    readonly_fields = fields


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    # Read-only: threads change through feedback.services (pages and API), which keep the
    # policies and the "comment removed" trail.
    list_display = ["pk", "work", "section", "target", "status", "by_peer", "created_at"]
    list_filter = ["status", "section", "by_peer"]
    search_fields = ["work__student__email"]
    inlines = [AnchorInline, CommentInline]
    readonly_fields = [f.name for f in Thread._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
