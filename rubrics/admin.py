"""Rubrics are edited here. A frozen version (one that has scored something) is read-only:
the "Create a new version" action copies it to version n+1 (rubrics.services.rubric_new_version),
which is then editable and takes over the old version's attachments.

The permissions below only keep the forms read-only; the models refuse the write itself
(ImmutableError), and the admin turns that refusal into a message."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from submissions.models import ImmutableError

from .models import (
    Assessment,
    CalibrationRun,
    Criterion,
    CriterionObjective,
    CriterionScore,
    Level,
    MasteryRule,
    ObjectiveJudgement,
    PeerAssignment,
    Rubric,
    RubricAttachment,
    SelfAssessmentDraft,
)
from .services import rubric_new_version


def _frozen(rubric: Rubric | None) -> bool:
    return rubric is not None and rubric.is_frozen


class FrozenRubricRefusalMixin:
    """A version that froze while its form was open passes the permission checks; the
    models' guard then refuses the save. Show that as an error message on the (now
    read-only) page instead of a server error."""

    def _refused(self, request: HttpRequest, exc: ImmutableError, object_id: str | None = None) -> HttpResponse:
        self.message_user(request, str(exc), messages.ERROR)
        if object_id is not None:
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id]))
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ImmutableError as exc:
            return self._refused(request, exc, object_id)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ImmutableError as exc:
            return self._refused(request, exc, object_id)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ImmutableError as exc:
            return self._refused(request, exc)


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ["order", "title", "weight", "description"]
    extra = 0
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _frozen(obj) and super().has_delete_permission(request, obj)


class AttachmentInline(admin.TabularInline):
    model = RubricAttachment
    fields = ["course", "scope", "week", "deliverable"]
    extra = 0


@admin.register(Rubric)
class RubricAdmin(FrozenRubricRefusalMixin, admin.ModelAdmin):
    list_display = ["title", "family", "version", "frozen_at", "criteria_count"]
    list_filter = ["family"]
    readonly_fields = ["frozen_at", "status"]
    fields = ["family", "version", "title", "description", "status", "frozen_at"]
    inlines = [CriterionInline, AttachmentInline]
    actions = ["create_new_version"]

    @admin.display(description="Criteria")
    def criteria_count(self, rubric: Rubric) -> int:
        return rubric.criteria.count()

    @admin.display(description="Status")
    def status(self, rubric: Rubric) -> str:
        if rubric.pk is None or not rubric.is_frozen:
            return "Editable: no assessment has used this version yet."
        return (
            "Frozen: assessments used this version, so it can no longer change. Select it in the list and run "
            "“Create a new version” to edit a copy."
        )

    def has_change_permission(self, request: HttpRequest, obj: Rubric | None = None) -> bool:
        return not _frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Rubric | None = None) -> bool:
        return not _frozen(obj) and super().has_delete_permission(request, obj)

    @admin.action(description="Create a new version (copy) of the selected rubrics", permissions=["add"])
    def create_new_version(self, request: HttpRequest, queryset):
        for rubric in queryset:
            try:
                copy = rubric_new_version(rubric=rubric)
            except ValidationError as exc:
                self.message_user(request, f"{rubric}: {' '.join(exc.messages)}", messages.ERROR)
                continue
            url = reverse("admin:rubrics_rubric_change", args=[copy.pk])
            self.message_user(request, format_html('Created <a href="{}">{}</a>; edit it there.', url, copy))


class LevelInline(admin.TabularInline):
    model = Level
    fields = ["order", "label", "points", "descriptor"]
    extra = 0

    def _frozen_parent(self, obj):
        return obj is not None and obj.rubric.is_frozen

    def has_add_permission(self, request, obj=None):
        return not self._frozen_parent(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._frozen_parent(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen_parent(obj) and super().has_delete_permission(request, obj)


class ObjectiveLinkInline(LevelInline):
    """The outcome objectives this criterion gives evidence for; frozen with the version."""

    model = CriterionObjective
    fields = ["objective"]
    raw_id_fields = ["objective"]
    verbose_name = "outcome objective it gives evidence for"
    verbose_name_plural = "outcome objectives it gives evidence for (judged met or not when a mentor accepts)"


@admin.register(Criterion)
class CriterionAdmin(FrozenRubricRefusalMixin, admin.ModelAdmin):
    list_display = ["title", "rubric", "order", "weight"]
    list_select_related = ["rubric"]
    inlines = [LevelInline, ObjectiveLinkInline]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "rubric":  # a criterion can only go to a version that is still editable
            kwargs["queryset"] = Rubric.objects.filter(frozen_at__isnull=True)
            kwargs["error_messages"] = {
                "invalid_choice": "Choose a version that no assessment has used yet: a frozen version gets no new "
                "or changed criteria. Create a new version (copy) of it and edit that."
            }
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.rubric.is_frozen) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.rubric.is_frozen) and super().has_delete_permission(request, obj)


class CriterionScoreInline(admin.TabularInline):
    model = CriterionScore
    fields = ["criterion", "level", "comment"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ObjectiveJudgementInline(admin.TabularInline):
    model = ObjectiveJudgement
    fields = ["objective", "derived_met", "met", "rule", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    """Assessments are records of what someone judged: read-only here."""

    list_display = ["revision", "kind", "scorer", "score", "decision", "submitted_at"]
    list_filter = ["kind", "decision"]
    list_select_related = ["scorer", "revision"]
    inlines = [CriterionScoreInline, ObjectiveJudgementInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PeerAssignment)
class PeerAssignmentAdmin(admin.ModelAdmin):
    list_display = ["revision", "reviewer", "anonymous", "due_at", "assessment"]
    list_select_related = ["reviewer", "revision"]
    readonly_fields = ["revision", "reviewer", "assigned_at", "assessment"]


@admin.register(CalibrationRun)
class CalibrationRunAdmin(admin.ModelAdmin):
    list_display = ["title", "cohort", "revision", "created_at"]
    readonly_fields = ["revision", "rubric", "created_by", "created_at"]


@admin.register(SelfAssessmentDraft)
class SelfAssessmentDraftAdmin(admin.ModelAdmin):
    """A student's self-assessment before submitting: theirs alone to change (on the
    self-assessment page), so read-only here like the assessments it becomes."""

    list_display = ["work", "rubric", "score", "updated_at"]
    list_select_related = ["work__student", "work__week", "work__deliverable", "rubric"]
    fields = ["work", "rubric", "levels", "feedback", "score", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MasteryRule)
class MasteryRuleAdmin(admin.ModelAdmin):
    list_display = ["cohort", "min_points", "require", "updated_at"]
    list_select_related = ["cohort"]
