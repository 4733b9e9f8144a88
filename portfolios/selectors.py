"""Reads shared by the public page, the editor and the exports, each in a fixed number of
queries whatever the number of entries."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from accounts.models import User
from rubrics.models import Assessment
from submissions.models import Revision, WeeklyWork

from .models import Portfolio, PortfolioEntry, PortfolioEntryArtifact

PHASE_TITLES = {
    1: "Phase 1 · Weeks 1–8: Foundations",
    2: "Phase 2 · Weeks 9–16: Scaling",
    3: "Phase 3 · Weeks 17–24: Architecture",
}


def mentor_score_for_revision(revision: Revision) -> Decimal | None:
    """The weighted rubric score (0–100) of the mentor's assessment of this revision, or None
    when no mentor assessed it with a rubric."""
    return (
        Assessment.objects.filter(revision=revision, kind=Assessment.Kind.MENTOR)
        .order_by("-submitted_at", "-pk")
        .values_list("score", flat=True)
        .first()
    )


@dataclass
class Section:
    key: str
    title: str
    entries: list[PortfolioEntry] = field(default_factory=list)


@dataclass
class PortfolioPage:
    portfolio: Portfolio
    featured: list[PortfolioEntry]
    phases: list[Section]
    capstones: list[Section]
    entries: list[PortfolioEntry]

    @property
    def proofs(self) -> list[PortfolioEntryArtifact]:
        return [proof for entry in self.entries for proof in entry.proofs.all()]


def published_entries(portfolio: Portfolio, *, with_files: bool = False) -> list[PortfolioEntry]:
    """Published entries with their proofs (and, for exports, the stored files): two queries."""
    # Each proof's artifact with its preview (joined, so the page shows previews in the same
    # three queries; the exports also need the stored file).
    proofs = PortfolioEntryArtifact.objects.order_by("order", "pk").select_related("artifact__preview")
    return list(portfolio.entries.for_page().prefetch_related(Prefetch("proofs", queryset=proofs)))


def portfolio_page(portfolio: Portfolio, *, with_files: bool = False) -> PortfolioPage:
    """The public page: the learner's story, featured entries, entries per course phase,
    then capstone entries grouped by project (entries + proofs: two queries)."""
    entries = published_entries(portfolio, with_files=with_files)
    featured = [e for e in entries if e.featured]
    phases: dict[int, Section] = {}
    capstones: dict[str, Section] = {}
    for entry in sorted(entries, key=lambda e: (e.week_number or 0, e.order, e.pk)):
        if entry.featured:
            continue
        if entry.is_capstone:
            project = entry.capstone_project or "Capstone"
            capstones.setdefault(project, Section(key=f"capstone-{len(capstones) + 1}", title=project))
            capstones[project].entries.append(entry)
        else:
            phase = entry.phase or 1
            phases.setdefault(phase, Section(key=f"phase-{phase}", title=PHASE_TITLES.get(phase, f"Phase {phase}")))
            phases[phase].entries.append(entry)
    for section in capstones.values():
        section.entries.sort(key=lambda e: (e.order, e.pk))
    return PortfolioPage(
        portfolio=portfolio,
        featured=featured,
        phases=[phases[k] for k in sorted(phases)],
        capstones=sorted(capstones.values(), key=lambda s: s.title),
        entries=entries,
    )


@dataclass
class PublishableWork:
    work: WeeklyWork
    entry: PortfolioEntry | None

    @property
    def is_outdated(self) -> bool:
        """Accepted again after a later revision: the entry shows an older revision."""
        return bool(self.entry and self.entry.revision_id != self.work.latest_revision_id)


@dataclass
class Editor:
    portfolio: Portfolio | None
    entries: list[PortfolioEntry]
    publishable: list[PublishableWork]


def portfolio_of(user: User) -> Portfolio | None:
    """The learner's portfolio, if they have saved one."""
    return Portfolio.objects.filter(user=user).first()


def entries_of(user: User, *, published: bool | None = None) -> list[PortfolioEntry]:
    """The learner's entries in the editor's order, optionally only published or only
    unpublished ones, with their proofs (two queries)."""
    entries = PortfolioEntry.objects.filter(portfolio__user=user)
    if published is not None:
        entries = entries.filter(unpublished_at__isnull=published)
    return list(entries.order_by("is_capstone", "order", "pk").prefetch_related("proofs"))


def editor_for(user: User) -> Editor:
    """The learner's editor: their portfolio, all entries (published or not), and every
    accepted work with its entry if any (portfolio, entries, proofs, works: four queries)."""
    portfolio = portfolio_of(user)
    entries = (
        list(portfolio.entries.order_by("is_capstone", "order", "pk").prefetch_related("proofs")) if portfolio else []
    )
    by_work = {e.work_id: e for e in entries}
    works = (
        WeeklyWork.objects.filter(student=user, state=WeeklyWork.State.ACCEPTED)
        .select_related("week", "deliverable__project", "cohort")
        .order_by("cohort__start_date", "week__number", "deliverable__project__number", "deliverable__order")
    )
    return Editor(
        portfolio=portfolio,
        entries=entries,
        publishable=[PublishableWork(work=w, entry=by_work.get(w.pk)) for w in works],
    )
