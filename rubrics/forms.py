"""Forms check the shape of what was posted; rubrics.services enforces the rules."""

from django import forms

from cohorts.models import Membership
from core.widgets import MarkdownTextarea
from curriculum.models import Objective
from submissions.models import Revision

from .models import Assessment, Criterion, Level, MasteryRule


class ScoringForm(forms.Form):
    """One level (radio buttons) and an optional comment per criterion, overall feedback and,
    for mentors, a decision."""

    feedback = forms.CharField(
        label="Overall feedback",
        required=False,
        max_length=20000,
        widget=MarkdownTextarea(attrs={"rows": 6}),
        help_text="Markdown. Say what works, what to change and why.",
    )

    JUDGEMENT_CHOICES = [("", "As the rule derives"), ("met", "Met"), ("not_met", "Not yet met")]

    def __init__(
        self,
        *args,
        criteria: list[Criterion],
        with_decision: bool = False,
        objectives: list[tuple[Objective, list[Criterion]]] | None = None,
        draft: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.objectives = objectives or []
        # A draft holds the scoring so far: any level or the decision may still be missing.
        self.is_draft = draft
        for c in criteria:
            self.fields[f"criterion_{c.pk}"] = forms.TypedChoiceField(
                label=c.title,
                choices=[(lv.pk, lv.label) for lv in c.levels.all()],
                coerce=int,
                empty_value=None,
                required=not draft,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose a level for “{c.title}”."},
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=f"Comment on {c.title}", required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
            )
        if with_decision:
            self.fields["decision"] = forms.ChoiceField(
                label="Decision",
                choices=[
                    (Assessment.Decision.REQUEST_CHANGES, "Request changes: the student revises and resubmits"),
                    (Assessment.Decision.ACCEPT, "Accept this revision"),
                ],
                widget=forms.RadioSelect,
                required=not draft,
                error_messages={"required": "Choose a decision: accept, or request changes."},
            )
        for objective, _ in self.objectives:
            self.fields[f"objective_{objective.pk}"] = forms.ChoiceField(
                label=f"Judgement of “{objective.verb}”", choices=self.JUDGEMENT_CHOICES, required=False
            )
            self.fields[f"reason_{objective.pk}"] = forms.CharField(
                label="Why you judge it differently",
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def criterion_rows(self) -> list[dict]:
        """What the rubric grid template needs per criterion."""
        rows = []
        for c in self.criteria:
            bound = self[f"criterion_{c.pk}"]
            value = bound.value()
            rows.append(
                {
                    "criterion": c,
                    "name": bound.html_name,
                    "value": str(value) if value not in (None, "") else "",
                    "errors": bound.errors,
                    "comment": self[f"comment_{c.pk}"],
                }
            )
        return rows

    def chosen_points(self) -> dict[int, int]:
        """criterion id → the points of the level picked so far (for the judgement preview,
        which runs on an incomplete form too)."""
        points = {}
        for c in self.criteria:
            value = self[f"criterion_{c.pk}"].value()
            level = next((lv for lv in c.levels.all() if str(lv.pk) == str(value)), None)
            if level is not None:
                points[c.pk] = level.points
        return points

    def chosen_levels(self) -> list[tuple[Criterion, Level]]:
        """(criterion, level) for each criterion whose level is picked so far, in rubric order."""
        chosen = []
        for c in self.criteria:
            value = self[f"criterion_{c.pk}"].value()
            level = next((lv for lv in c.levels.all() if str(lv.pk) == str(value)), None)
            if level is not None:
                chosen.append((c, level))
        return chosen

    def draft_values(self) -> dict:
        """What rubrics.services.assessment_draft_save takes, from a valid draft form."""
        data = self.cleaned_data
        return {
            "levels": {c.pk: (data.get(f"criterion_{c.pk}"), data.get(f"comment_{c.pk}", "")) for c in self.criteria},
            "feedback": data.get("feedback", ""),
            "decision": data.get("decision", ""),
            "judgements": {
                objective.pk: (data.get(f"objective_{objective.pk}", ""), data.get(f"reason_{objective.pk}", ""))
                for objective, _ in self.objectives
            },
        }

    def judgements(self) -> dict[int, tuple[bool | None, str]]:
        """objective id → (the mentor's word, reason) for rubrics.services.assessment_record."""
        said = {"met": True, "not_met": False, "": None}
        data = self.cleaned_data
        return {
            objective.pk: (said[data.get(f"objective_{objective.pk}", "")], data.get(f"reason_{objective.pk}", ""))
            for objective, _ in self.objectives
        }

    def judgement_rows(self, checks: list) -> list[dict]:
        """What the judgement section of the scoring page needs per objective."""
        return [
            {
                "check": check,
                "choice": self[f"objective_{check.objective.pk}"],
                "reason": self[f"reason_{check.objective.pk}"],
                "errors": self.errors.get(f"objective_{check.objective.pk}", []),
            }
            for check in checks
        ]

    def scores(self) -> dict[int, tuple[int | None, str]]:
        data = self.cleaned_data
        return {c.pk: (data.get(f"criterion_{c.pk}"), data.get(f"comment_{c.pk}", "")) for c in self.criteria}


class CalibrationRunForm(forms.Form):
    title = forms.CharField(label="Title", required=False, max_length=200, help_text="Optional; a title is made up.")
    revision = forms.ModelChoiceField(label="Revision to score", queryset=Revision.objects.none())
    mentors = forms.ModelMultipleChoiceField(
        label="Mentors", queryset=Membership.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, cohort, revisions: list[Revision], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["revision"].queryset = Revision.objects.filter(pk__in=[r.pk for r in revisions]).defer("content")
        self.fields["revision"].choices = [("", "Choose a revision")] + [
            (r.pk, f"{r.work.target_label} · revision {r.number} · {r.submitted_at:%d %b %Y}") for r in revisions
        ]
        mentors = Membership.objects.filter(cohort=cohort).mentors().select_related("user")
        self.fields["mentors"].queryset = mentors
        self.fields["mentors"].label_from_instance = lambda m: m.user.display_name


class MasteryRuleForm(forms.Form):
    min_points = forms.IntegerField(
        label="Level needed (points)",
        min_value=1,
        max_value=100,
        help_text="The points of the lowest level that counts as met, e.g. 3 (Proficient) on the default 4-point "
        "levels.",
    )
    require = forms.ChoiceField(
        label="Which criteria must reach it", choices=MasteryRule.Require.choices, widget=forms.RadioSelect
    )
