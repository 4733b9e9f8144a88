from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Cohort, CohortInvitation, EndedMentorAssignment, Extension, Membership, MentorAssignment


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


@admin.register(CohortInvitation)
class CohortInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "cohort", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role", "cohort"]
    search_fields = ["email"]
    # The token's hash is useless to a reader and the states change only through the services.
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "revoked_at", "invited_by"]


@admin.register(EndedMentorAssignment)
class EndedMentorAssignmentAdmin(admin.ModelAdmin):
    list_display = ["mentor", "student", "cohort", "started_at", "ended_at"]
    list_filter = ["cohort"]
