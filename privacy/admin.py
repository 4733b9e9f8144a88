"""Read-only views of exports and the erasure audit; starting an erasure for someone goes
through the admins' page (/privacy/people/), which calls the same service as the person's."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import DataExport, ErasureRequest


@admin.register(ErasureRequest)
class ErasureRequestAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "user",
        "status",
        "confirmation",
        "requested_by",
        "requested_at",
        "due_at",
        "executed_at",
        "person_page",
    ]
    list_filter = ["status", "confirmation"]
    readonly_fields = [f.name for f in ErasureRequest._meta.fields]

    @admin.display(description="Person's data")
    def person_page(self, obj: ErasureRequest) -> str:
        # Scheduling and cancelling happen on that page, through the same services as the person's.
        return format_html('<a href="{}">open</a>', reverse("privacy:person", args=[obj.user_id]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit record outlives the erasure


@admin.register(DataExport)
class DataExportAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "requested_by", "status", "progress", "created_at", "expires_at", "page"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in DataExport._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Page")
    def page(self, obj: DataExport) -> str:
        return format_html('<a href="{}">open</a>', reverse("privacy:export", args=[obj.pk]))
