from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import policies
from .history import recent_curriculum_changes
from .lint import lint_course, without_repeated_sentences
from .models import (
    BloomLevel,
    BloomVerb,
    CapstoneDeliverable,
    CapstoneProject,
    Course,
    ImportConflict,
    Lab,
    Objective,
    QualityGate,
    Week,
)
from .services import (
    UnmappedVerbError,
    bloom_verb_save,
    course_remove_repeated_sentences,
    import_conflict_settle,
    objective_bloom_level,
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


class ObjectiveAdminForm(forms.ModelForm):
    """The level follows the verb unless “override level” is ticked (curriculum services
    decide; this form only shows the outcome)."""

    class Meta:
        model = Objective
        fields = ["week", "order", "kind", "verb", "text", "bloom_level", "bloom_level_overridden"]

    def clean(self):
        cleaned = super().clean()
        verb, kind = cleaned.get("verb"), cleaned.get("kind") or getattr(self.instance, "kind", None)
        if not verb or not kind or cleaned.get("DELETE"):
            return cleaned
        try:
            cleaned["bloom_level"] = objective_bloom_level(
                verb=verb,
                kind=kind,
                level=cleaned.get("bloom_level"),
                overridden=bool(cleaned.get("bloom_level_overridden")),
            )
        except UnmappedVerbError as exc:
            self.add_error(
                "verb",
                format_html(
                    'The verb “{}” has no Bloom level in the <a href="{}">Bloom verb mapping</a>: add it there, '
                    "or tick “override level” and choose the level.",
                    exc.verb,
                    exc.url,
                ),
            )
        except ValidationError as exc:
            self.add_error(None, exc)
        return cleaned


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
        custom = [
            path("history/", self.admin_site.admin_view(self.curriculum_history_view), name="curriculum_history"),
            path(
                "<path:object_id>/conflicts/<int:conflict_id>/settle/",
                self.admin_site.admin_view(self.settle_conflict_view),
                name="curriculum_course_settle_conflict",
            ),
            path(
                "<path:object_id>/remove-repeated-sentences/",
                self.admin_site.admin_view(self.remove_repeated_sentences_view),
                name="curriculum_course_remove_repeated_sentences",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        course = self.get_object(request, object_id)
        if course is not None:
            fixed = without_repeated_sentences(course.introduction)
            extra_context = {
                **(extra_context or {}),
                "import_conflicts": list(ImportConflict.objects.filter(course=course).open()),
                "introduction_fix": fixed if fixed != course.introduction else "",
                "can_fix_introduction": policies.can_edit(request.user, "course"),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def _course_for_post(self, request: HttpRequest, object_id: str) -> Course:
        course = self.get_object(request, object_id)
        if course is None:
            raise PermissionDenied  # the admin answers missing and forbidden alike here
        return course

    def settle_conflict_view(self, request: HttpRequest, object_id: str, conflict_id: int) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        course = self._course_for_post(request, object_id)
        conflict = get_object_or_404(ImportConflict, pk=conflict_id, course=course)
        if not policies.can_settle_import_conflict(request.user, conflict):
            raise PermissionDenied
        choice = request.POST.get("choice")
        if choice not in ("keep", "take_file"):
            messages.error(request, "Choose “Keep mine” or “Take file”.")
        else:
            try:
                import_conflict_settle(conflict=conflict, take_file=choice == "take_file", user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                done = "took the file's value" if choice == "take_file" else "kept the admin's value"
                messages.success(request, f"{conflict.label}, {conflict.field_name}: {done}.")
        return redirect("admin:curriculum_course_change", course.pk)

    def remove_repeated_sentences_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        course = self._course_for_post(request, object_id)
        if not policies.can_edit(request.user, "course"):
            raise PermissionDenied
        if course_remove_repeated_sentences(course=course, user=request.user):
            messages.success(request, "Removed the repeated sentences from the introduction (recorded in the history).")
        else:
            messages.info(request, "The introduction has no repeated sentences.")
        return redirect("admin:curriculum_course_change", course.pk)

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
    form = ObjectiveAdminForm
    model = Objective
    fields = ["order", "kind", "verb", "text", "bloom_level", "bloom_level_overridden"]
    extra = 0
    ordering = ["order"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "bloom_level":
            # The six levels are fixed: links to add or edit one would only widen every row.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = widget.can_view_related = False
            widget.can_delete_related = False
        if db_field.name == "text":
            formfield.widget.attrs.update(rows=4)
        return formfield


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
    form = ObjectiveAdminForm
    list_display = ["__str__", "week", "order", "kind", "verb", "bloom_level", "bloom_level_overridden"]
    list_filter = ["kind", "bloom_level", "bloom_level_overridden", "week__course"]
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

    def save_model(self, request, obj, form, change):
        moved = bloom_verb_save(bloom_verb=obj)
        if moved:
            messages.info(request, f"{moved} objective(s) with the verb “{obj.verb}” now have the level {obj.level}.")


@admin.register(BloomLevel)
class BloomLevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "name", "key", "description"]
    ordering = ["rank"]
