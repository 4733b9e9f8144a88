from django.contrib import admin

from .models import Notification, NotificationPreference, ReminderLog


@admin.register(ReminderLog)
class ReminderLogAdmin(admin.ModelAdmin):
    list_display = ["kind", "recipient", "subject_key", "period_key", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["recipient__email", "subject_key", "period_key"]
    readonly_fields = [field.name for field in ReminderLog._meta.fields]
    list_select_related = ["recipient"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["recipient__email", "title"]
    raw_id_fields = ["recipient", "reminder"]
    list_select_related = ["recipient"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email", "in_app", "updated_at"]
    list_filter = ["kind", "email", "in_app"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
