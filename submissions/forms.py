"""Forms check the shape of what the student typed; services decide what it means."""

import re

from django import forms

from core.widgets import MarkdownTextarea

from .content import CRITERION_FIELDS, DECISION_FIELDS, GATE_STATUSES, RETRO_FIELDS, normalised
from .models import IMPROVE_NOTE_MAX, ImproveItemStatus, RiskEntry, WeeklyWork

TEXT_LIMIT = 50_000
FORM_ID = "workspace-form"
MIN_CRITERIA_ROWS = 3
# Rows arrive as criterion_<n>_<key>; n is bounded so that a posted index cannot make the form
# build millions of fields. Far more than a week's dossier needs.
MAX_CRITERIA_ROWS = 50
_CRITERION_KEY = re.compile(r"^criterion_(\d+)_(criterion|metric|target|measured)$")


def _text(label: str, help_text: str = "", rows: int = 8) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=TEXT_LIMIT,
        strip=False,
        help_text=help_text,
        widget=MarkdownTextarea(attrs={"rows": rows}),
    )


class WorkspaceForm(forms.Form):
    """Every text section of the work in one form, so one save (typed or automatic) keeps
    all of it. Dynamic fields: one status + note per quality gate, rows of success criteria."""

    draft_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    max_criteria_rows = MAX_CRITERIA_ROWS

    def __init__(self, *args, work: WeeklyWork, objectives, gates, retrospective=None, **kwargs):
        self.work = work
        self.gates = gates
        self.too_many_criteria = False
        content = normalised(work.content)
        data = kwargs.get("data") if "data" in kwargs else (args[0] if args else None)
        criteria = content["dossier"]["criteria"]
        rows = max(MIN_CRITERIA_ROWS, len(criteria) + 1)
        if data is not None:
            indexes = [int(m.group(1)) for key in data for m in [_CRITERION_KEY.match(key)] if m]
            self.too_many_criteria = max(indexes, default=-1) >= MAX_CRITERIA_ROWS
            rows = max(rows, max(indexes, default=-1) + 1)
        self.criteria_rows = min(rows, MAX_CRITERIA_ROWS)
        initial = {"draft_version": work.draft_version}
        super().__init__(*args, initial=initial, **kwargs)
        f = self.fields
        if work.is_capstone:
            f["deliverable_text"] = _text(work.deliverable.title, "The deliverable itself, in markdown.", rows=14)
            self.initial["deliverable_text"] = content["deliverable"]["text"]
        else:
            f["concept_text"] = _text(
                "Concept analysis",
                "Markdown. Analyse the week's principles and link them to the outcome objectives below.",
                rows=12,
            )
            f["concept_objectives"] = forms.TypedMultipleChoiceField(
                label="Outcome objectives this analysis addresses",
                required=False,
                coerce=int,
                choices=[(o.pk, o.text) for o in objectives],
                widget=forms.CheckboxSelectMultiple,
            )
            f["lab_text"] = _text("Lab report", "Markdown. What you did in the guided scenario and what you measured.")
            self.initial.update(
                concept_text=content["concept"]["text"],
                concept_objectives=content["concept"]["objective_ids"],
                lab_text=content["lab"]["text"],
            )
            for gate in gates:
                saved = content["lab"]["gates"].get(str(gate.pk), {})
                f[f"gate_{gate.pk}_status"] = forms.ChoiceField(
                    label=f"Gate {gate.order}: {gate.text}", choices=GATE_STATUSES, required=False
                )
                f[f"gate_{gate.pk}_note"] = forms.CharField(
                    label=f"Note for gate {gate.order}", required=False, max_length=2000
                )
                self.initial[f"gate_{gate.pk}_status"] = saved.get("status", "not_run")
                self.initial[f"gate_{gate.pk}_note"] = saved.get("note", "")
        for key, label in DECISION_FIELDS:
            f[f"decision_{key}"] = _text(label, rows=4)
            self.initial[f"decision_{key}"] = content["decision"].get(key, "")
        for index in range(self.criteria_rows):
            saved = criteria[index] if index < len(criteria) else {}
            for key in CRITERION_FIELDS:
                f[f"criterion_{index}_{key}"] = forms.CharField(
                    label=f"{key.capitalize()} (criterion {index + 1})", required=False, max_length=500
                )
                self.initial[f"criterion_{index}_{key}"] = saved.get(key, "")
        f["next_actions"] = _text("Next actions", "Markdown.", rows=4)
        self.initial["next_actions"] = content["dossier"]["next_actions"]
        if not work.is_capstone:
            for key, label in RETRO_FIELDS:
                f[f"retro_{key}"] = _text(label, rows=3)
                self.initial[f"retro_{key}"] = getattr(retrospective, key, "") if retrospective else ""
        f["revision_note"] = _text(
            "Revision note",
            "What changed in response to feedback, shown with the next revision: list each point or "
            "comment thread you addressed and how (one line each, e.g. “- Decision record: added the "
            "cache-stampede risk”).",
            rows=4,
        )
        self.initial["revision_note"] = content.get("revision_note", "")
        # The sections sit between the evidence and risk forms on the page; the HTML `form`
        # attribute ties each field to this one form wherever it is placed.
        for bound_field in self.fields.values():
            bound_field.widget.attrs["form"] = FORM_ID

    # Grouped access for the template
    def gate_rows(self):
        return [(g, self[f"gate_{g.pk}_status"], self[f"gate_{g.pk}_note"]) for g in self.gates]

    def decision_fields(self):
        return [self[f"decision_{key}"] for key, _ in DECISION_FIELDS]

    def criteria_fields(self):
        return [[self[f"criterion_{i}_{key}"] for key in CRITERION_FIELDS] for i in range(self.criteria_rows)]

    def criteria_template_row(self) -> list[tuple[str, str, str]]:
        """The fields of one more, empty, criteria row as (id, label, html), numbered
        __prefix__ (its index) and __number__ (as people count): static/js/app.js puts the
        next index in when the student adds a row without saving."""
        row = []
        for key in CRITERION_FIELDS:
            name = f"criterion___prefix___{key}"
            widget = forms.TextInput(attrs={"form": FORM_ID, "maxlength": 500})
            row.append(
                (
                    f"id_{name}",
                    f"{key.capitalize()} (criterion __number__)",
                    widget.render(name, "", {"id": f"id_{name}"}),
                )
            )
        return row

    def clean(self):
        cleaned = super().clean()
        if self.too_many_criteria:
            raise forms.ValidationError(f"At most {MAX_CRITERIA_ROWS} success criteria; remove some rows.")
        return cleaned

    def retro_fields(self):
        return [self[f"retro_{key}"] for key, _ in RETRO_FIELDS] if not self.work.is_capstone else []

    def to_content(self) -> dict:
        d = self.cleaned_data
        content = normalised(self.work.content)
        if self.work.is_capstone:
            content["deliverable"] = {"text": d.get("deliverable_text", "")}
        else:
            content["concept"] = {"text": d.get("concept_text", ""), "objective_ids": d.get("concept_objectives", [])}
            content["lab"] = {
                "text": d.get("lab_text", ""),
                "gates": {
                    str(g.pk): {
                        "status": d.get(f"gate_{g.pk}_status") or "not_run",
                        "note": d.get(f"gate_{g.pk}_note", ""),
                    }
                    for g in self.gates
                },
            }
        content["decision"] = {key: d.get(f"decision_{key}", "") for key, _ in DECISION_FIELDS}
        criteria = []
        for i in range(self.criteria_rows):
            row = {key: d.get(f"criterion_{i}_{key}", "").strip() for key in CRITERION_FIELDS}
            if any(row.values()):
                criteria.append(row)
        content["dossier"] = {"criteria": criteria, "next_actions": d.get("next_actions", "")}
        content["revision_note"] = d.get("revision_note", "")
        return content

    def retrospective_data(self) -> dict | None:
        if self.work.is_capstone:
            return None
        return {key: self.cleaned_data.get(f"retro_{key}", "") for key, _ in RETRO_FIELDS}


class SubmitForm(forms.Form):
    draft_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class _EvidenceTagMixin:
    def _setup_evidence(self, required: list[str]):
        self.fields["evidence_item"] = forms.ChoiceField(
            label="Required evidence it satisfies",
            required=False,
            choices=[("", "— none (supporting evidence) —")] + [(item, item) for item in required],
        )


class ArtifactUploadForm(_EvidenceTagMixin, forms.Form):
    file = forms.FileField(label="File", help_text="PDF, image, ZIP or text; checked by content.")
    proves = forms.CharField(label="What it proves", max_length=300)

    def __init__(self, *args, required: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_evidence(required)


class ArtifactLinkForm(_EvidenceTagMixin, forms.Form):
    url = forms.URLField(label="Link", max_length=1000, assume_scheme="https")
    proves = forms.CharField(label="What it proves", max_length=300)

    def __init__(self, *args, required: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_evidence(required)
        self.fields["url"].widget.attrs["placeholder"] = "https://"

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("Only http and https links are accepted.")
        return url


class RiskEntryForm(forms.ModelForm):
    class Meta:
        model = RiskEntry
        fields = ["kind", "title", "severity", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class RiskCloseForm(forms.Form):
    resolution = forms.CharField(label="Resolution", required=False, max_length=2000)


class ImproveItemStatusForm(forms.Form):
    """What became of one improve item: one form per item on the workspace, prefixed with the
    item's key so that the ids on the page stay unique."""

    status = forms.ChoiceField(
        label="What became of it?", choices=ImproveItemStatus.Status.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=IMPROVE_NOTE_MAX,
        help_text="How it went, or why it was carried or dropped.",
    )

    def __init__(self, *args, item, **kwargs):
        kwargs.setdefault("prefix", f"improve-{item.key}")
        kwargs.setdefault("initial", {"status": item.status or None, "note": item.note})
        super().__init__(*args, **kwargs)
        self.item = item
