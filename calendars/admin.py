from django.contrib import admin

from .models import CalendarFeed


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Seen, not edited: only the person resets or turns off their feed; the address itself
    is never shown here (it is not stored)."""

    list_display = ("user", "created_at", "reset_at")
    search_fields = ("user__email", "user__name")
    readonly_fields = ("user", "created_at", "reset_at")
    exclude = ("nonce",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
