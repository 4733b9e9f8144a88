"""Portfolios in the admin site are for moderation, not editing: a portfolio's words and
entries belong to the learner and are snapshots of accepted work, so every field is read-only
here. Staff who find something that must come down act through the services, which also
invalidate the cached public page: "Make private" hides a whole portfolio, "Unpublish"
hides single entries."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .models import Portfolio, PortfolioEntry, PortfolioEntryArtifact
from .services import entry_unpublish, portfolio_hide


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("portfolios.change_portfolio")


class EntryInline(admin.TabularInline):
    model = PortfolioEntry
    fields = ["title", "week_number", "is_capstone", "revision_number", "featured", "published_at", "unpublished_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Portfolio)
class PortfolioAdmin(ReadOnlyAdmin):
    list_display = ["slug", "display_name", "user", "visibility", "published_entries", "updated_at", "public_page"]
    list_filter = ["visibility"]
    search_fields = ["slug", "display_name", "user__email"]
    list_select_related = ["user"]
    fields = [
        "user",
        "slug",
        "display_name",
        "headline",
        "bio",
        "links",
        "visibility",
        "show_scores",
        "version",
        "created_at",
        "updated_at",
    ]
    inlines = [EntryInline]
    actions = ["make_private"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(published_count=Count("entries", filter=Q(entries__unpublished_at__isnull=True)))
        )

    @admin.display(description="Published entries", ordering="published_count")
    def published_entries(self, portfolio: Portfolio) -> int:
        return portfolio.published_count

    @admin.display(description="Page")
    def public_page(self, portfolio: Portfolio) -> str:
        if not portfolio.is_world_visible:
            return "—"
        return format_html(
            '<a href="{}">/p/{}/</a>', reverse("portfolios:public", args=[portfolio.slug]), portfolio.slug
        )

    @admin.action(description="Make private (moderation): hide the public page now", permissions=["moderate"])
    def make_private(self, request: HttpRequest, queryset) -> None:
        hidden = 0
        for portfolio in queryset:
            portfolio_hide(portfolio=portfolio, by=request.user)
            hidden += 1
        self.message_user(request, f"{hidden} portfolio(s) are now private.", messages.SUCCESS)


class ProofInline(admin.TabularInline):
    model = PortfolioEntryArtifact
    fields = ["name", "kind", "url", "content_type", "size", "sha256", "proves"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(PortfolioEntry)
class PortfolioEntryAdmin(ReadOnlyAdmin):
    list_display = ["title", "portfolio", "week_number", "is_capstone", "featured", "published_at", "unpublished_at"]
    list_filter = ["is_capstone", "featured", ("unpublished_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "portfolio__slug", "portfolio__user__email"]
    list_select_related = ["portfolio"]
    exclude = ["work", "revision"]
    inlines = [ProofInline]
    actions = ["unpublish"]

    @admin.action(description="Unpublish (moderation): remove from the public page now", permissions=["moderate"])
    def unpublish(self, request: HttpRequest, queryset) -> None:
        done = 0
        for entry in queryset.select_related("portfolio", "work"):
            try:
                entry_unpublish(entry=entry, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{entry}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            done += 1
        self.message_user(request, f"{done} entr{'y' if done == 1 else 'ies'} unpublished.", messages.SUCCESS)
