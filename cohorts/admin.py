from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Cohort, Extension, Membership, MentorAssignment


class MembershipInline(admin.TabularInline):
    model = Membership
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    extra = 0


class MentorAssignmentInline(admin.TabularInline):
    model = MentorAssignment
    fields = ["mentor", "student"]
    autocomplete_fields = ["mentor", "student"]
    extra = 0


@admin.register(Cohort)
class CohortAdmin(SimpleHistoryAdmin):
    list_display = ["name", "course", "start_date", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    inlines = [MembershipInline, MentorAssignmentInline]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "cohort", "role", "created_at"]
    list_filter = ["role", "cohort"]
    search_fields = ["user__email", "user__name"]
    autocomplete_fields = ["user"]


@admin.register(Extension)
class ExtensionAdmin(SimpleHistoryAdmin):
    list_display = ["student", "cohort", "week", "due_at", "granted_by"]
    list_filter = ["cohort"]
    autocomplete_fields = ["student"]
