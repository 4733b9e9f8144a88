from django.contrib import admin

from .models import ReportRun


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "format", "cohort", "student", "requested_by", "status", "progress", "created_at"]
    list_filter = ["kind", "format", "status"]
    search_fields = ["cohort__name", "student__email", "requested_by__email"]
    readonly_fields = [f.name for f in ReportRun._meta.fields]

    def has_add_permission(self, request):
        return False
