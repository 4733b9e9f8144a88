"""Forms check the shape of input; portfolios.services enforces the rules."""

from django import forms

from core.widgets import MarkdownTextarea
from submissions.models import Revision

from .models import Portfolio, validate_portfolio_slug


class ProfileForm(forms.Form):
    slug = forms.CharField(
        label="Address",
        max_length=40,
        validators=[validate_portfolio_slug],
        help_text="Your page lives at /p/your-address/: 3–40 lower-case letters, digits and hyphens.",
    )
    display_name = forms.CharField(label="Name", max_length=120)
    headline = forms.CharField(
        label="Headline", max_length=200, required=False, help_text="One line, e.g. “Backend engineer: queues, caches”."
    )
    bio = forms.CharField(
        label="Short bio",
        max_length=5000,
        required=False,
        widget=MarkdownTextarea(attrs={"rows": 6}),
        help_text="Markdown. Your story in a few sentences: what you build and what you care about.",
    )
    links = forms.CharField(
        label="Links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line as “Label | https://…”, e.g. “GitHub | https://github.com/you”. At most 8.",
    )
    visibility = forms.ChoiceField(
        label="Who can see it", choices=Portfolio.Visibility.choices, widget=forms.RadioSelect
    )
    show_scores = forms.BooleanField(
        label="Offer to show my mentor's rubric score on entries I publish", required=False
    )

    @staticmethod
    def initial_for(portfolio: Portfolio) -> dict:
        return {
            "slug": portfolio.slug,
            "display_name": portfolio.display_name,
            "headline": portfolio.headline,
            "bio": portfolio.bio,
            "links": "\n".join(f"{link['label']} | {link['url']}" for link in portfolio.links),
            "visibility": portfolio.visibility,
            "show_scores": portfolio.show_scores,
        }

    def clean_slug(self) -> str:
        return self.cleaned_data["slug"].strip().lower()

    def clean_links(self) -> list[dict]:
        links = []
        for number, line in enumerate(self.cleaned_data["links"].splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, url = line.partition("|")
            if not sep or not label.strip() or not url.strip():
                raise forms.ValidationError(f"Line {number}: write it as “Label | https://…”.")
            links.append({"label": label.strip(), "url": url.strip()})
        return links


class PublishForm(forms.Form):
    narrative = forms.CharField(
        label="Outcome narrative",
        max_length=10000,
        widget=MarkdownTextarea(attrs={"rows": 10}),
        help_text=(
            "Markdown, written for a hiring manager: the problem, what you decided and why, and the measured result."
        ),
    )
    artifacts = forms.ModelMultipleChoiceField(
        label="Proof artifacts",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Files and links from the accepted revision. Visitors can download the files you pick.",
    )
    include_score = forms.BooleanField(label="Show my mentor's rubric score on this entry", required=False)

    def __init__(self, *args, revision: Revision, score_available: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["artifacts"].queryset = revision.artifacts.order_by("created_at", "pk")
        self.fields["artifacts"].label_from_instance = lambda a: f"{a.label} — {a.proves}"
        if not score_available:
            del self.fields["include_score"]
