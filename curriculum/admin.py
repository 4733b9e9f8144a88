from django import forms
from django.contrib import admin
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from .history import recent_curriculum_changes
from .lint import lint_course
from .models import (
    BloomLevel,
    BloomVerb,
    CapstoneDeliverable,
    CapstoneProject,
    Course,
    Lab,
    Objective,
    QualityGate,
    Week,
)


class LineEndingNormalisedField(forms.CharField):
    """Browsers post textarea line breaks as CRLF; comparing and saving LF means an
    untouched textarea is not "changed", so the edit history records no phantom edits."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if value else value


TEXT_AS_LF = {models.TextField: {"form_class": LineEndingNormalisedField, "widget": forms.Textarea}}


class WeekInline(admin.TabularInline):
    model = Week
    fields = ["number", "title"]
    extra = 0
    show_change_link = True


class CapstoneProjectInline(admin.TabularInline):
    model = CapstoneProject
    fields = ["number", "title"]
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(SimpleHistoryAdmin):
    formfield_overrides = TEXT_AS_LF
    list_display = ["title", "version", "slug", "imported_at"]
    readonly_fields = ["source_name", "source_sha256", "imported_at", "edit_history", "lint_findings"]
    fields = [
        "title",
        "slug",
        "version",
        "introduction",
        "source_name",
        "source_sha256",
        "imported_at",
        "edit_history",
        "lint_findings",
    ]
    inlines = [WeekInline, CapstoneProjectInline]

    @admin.display(description="Edit history")
    def edit_history(self, course: Course):
        return format_html(
            '<a href="{}">Who changed what in the curriculum, and when</a>', reverse("admin:curriculum_history")
        )

    @admin.display(description="Curriculum lint")
    def lint_findings(self, course: Course):
        if course.pk is None:
            return "—"
        findings = lint_course(course)
        if not findings:
            return "No findings."
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>[{}] {}</li>", ((f.check, str(f)) for f in findings))
        )

    def get_urls(self):
        custom = [path("history/", self.admin_site.admin_view(self.curriculum_history_view), name="curriculum_history")]
        return custom + super().get_urls()

    def curriculum_history_view(self, request):
        include_imports = request.GET.get("imports") != "hide"
        context = {
            **self.admin_site.each_context(request),
            "title": "Curriculum edit history",
            "changes": recent_curriculum_changes(limit=200, include_imports=include_imports),
            "include_imports": include_imports,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/curriculum/history.html", context)


class ObjectiveInline(admin.TabularInline):
    formfield_overrides = TEXT_AS_LF
    model = Objective
    fields = ["order", "kind", "verb", "text", "bloom_level"]
    extra = 0
    ordering = ["order"]


class LabInline(admin.StackedInline):
    formfield_overrides = TEXT_AS_LF
    model = Lab
    fields = ["title", "scenario", "tools", "constraints", "expected_evidence", "quality_gates_link"]
    readonly_fields = ["quality_gates_link"]
    extra = 0
    max_num = 1

    @admin.display(description="Quality gates")
    def quality_gates_link(self, lab: Lab):
        if lab.pk is None:
            return "Save the lab first, then add its quality gates."
        url = reverse("admin:curriculum_lab_change", args=[lab.pk])
        return format_html('<a href="{}">Edit the {} quality gates</a>', url, lab.quality_gates.count())


@admin.register(Week)
class WeekAdmin(SimpleHistoryAdmin):
    list_display = ["number", "title", "course"]
    list_display_links = ["number", "title"]
    list_filter = ["course"]
    search_fields = ["title", "objectives__text"]
    ordering = ["course", "number"]
    fields = ["course", "number", "title", "progression_note"]
    inlines = [ObjectiveInline, LabInline]


@admin.register(Objective)
class ObjectiveAdmin(SimpleHistoryAdmin):
    formfield_overrides = TEXT_AS_LF
    list_display = ["__str__", "week", "order", "kind", "verb", "bloom_level"]
    list_filter = ["kind", "bloom_level", "week__course"]
    search_fields = ["text"]
    ordering = ["week__number", "order"]


class QualityGateInline(admin.TabularInline):
    model = QualityGate
    fields = ["order", "text"]
    extra = 1


@admin.register(Lab)
class LabAdmin(SimpleHistoryAdmin):
    formfield_overrides = TEXT_AS_LF
    list_display = ["title", "week"]
    search_fields = ["title", "scenario"]
    ordering = ["week__number"]
    inlines = [QualityGateInline]


class DeliverableInline(admin.TabularInline):
    model = CapstoneDeliverable
    fields = ["order", "title", "due_week"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "due_week":
            kwargs["queryset"] = Week.objects.select_related("course").order_by("course", "number")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CapstoneProject)
class CapstoneProjectAdmin(SimpleHistoryAdmin):
    formfield_overrides = TEXT_AS_LF
    list_display = ["number", "title", "course"]
    list_display_links = ["number", "title"]
    inlines = [DeliverableInline]


@admin.register(BloomVerb)
class BloomVerbAdmin(SimpleHistoryAdmin):
    list_display = ["verb", "level"]
    list_editable = ["level"]
    list_filter = ["level"]
    search_fields = ["verb"]


@admin.register(BloomLevel)
class BloomLevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "name", "key", "description"]
    ordering = ["rank"]
