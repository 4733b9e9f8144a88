"""Every change to a portfolio goes through these functions (pages, demo and tests alike).

Each one that changes what the public page shows raises `Portfolio.version` in the same
transaction: the page cache is keyed by that stamp, so invalidation is part of the write.
"""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from curriculum.models import Objective
from submissions.models import Artifact, WeeklyWork
from submissions.services import work_mark_published, work_mark_unpublished

from . import cache as page_cache
from . import signals
from .models import RESERVED_SLUGS, SLUG_RE, Portfolio, PortfolioEntry, PortfolioEntryArtifact
from .selectors import mentor_score_for_revision, portfolio_of


def _bump(portfolio: Portfolio, now: datetime.datetime | None = None) -> None:
    """Raise the cache stamp and Last-Modified of the public page."""
    now = now or timezone.now()
    Portfolio.objects.filter(pk=portfolio.pk).update(version=F("version") + 1, updated_at=now)
    portfolio.refresh_from_db(fields=["version", "updated_at"])
    page_cache.forget_slugs(portfolio.slug)


def portfolio_page_changed(*, portfolio: Portfolio) -> None:
    """Something an app above shows on the public page changed (a credential was claimed):
    the cached page is rendered again on the next visit."""
    _bump(portfolio)


def portfolio_slug_suggestion(user: User) -> str:
    """A free slug from the learner's name (or e-mail), e.g. "sam-student", "sam-student-2"."""
    base = slugify(user.display_name if hasattr(user, "display_name") else user.email.split("@")[0])
    base = re.sub(r"-+", "-", base).strip("-")[:32] or "learner"
    if len(base) < 3:
        base = f"{base}-portfolio"
    candidate, n = base, 1
    while (
        candidate in RESERVED_SLUGS or not SLUG_RE.match(candidate) or Portfolio.objects.filter(slug=candidate).exists()
    ):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@transaction.atomic
def portfolio_ensure(*, user: User) -> Portfolio:
    """The learner's portfolio, created private on first use."""
    portfolio = portfolio_of(user)
    if portfolio:
        return portfolio
    portfolio = Portfolio(
        user=user,
        slug=portfolio_slug_suggestion(user),
        display_name=(getattr(user, "display_name", "") or user.email.split("@")[0])[:120],
    )
    portfolio.full_clean()
    portfolio.save()
    page_cache.forget_slugs(portfolio.slug)  # it may be cached as "no such portfolio"
    return portfolio


@transaction.atomic
def portfolio_update_profile(
    *,
    portfolio: Portfolio,
    slug: str,
    display_name: str,
    headline: str = "",
    bio: str = "",
    links: list[dict] | None = None,
    visibility: str = Portfolio.Visibility.PRIVATE,
    show_scores: bool = False,
) -> Portfolio:
    old_slug = portfolio.slug
    was_world_visible = portfolio.visibility != Portfolio.Visibility.PRIVATE
    portfolio.slug = slug.strip().lower()
    portfolio.display_name = display_name.strip()
    portfolio.headline = headline.strip()
    portfolio.bio = bio
    portfolio.links = links or []
    portfolio.visibility = visibility
    portfolio.show_scores = show_scores
    portfolio.full_clean(exclude=["user"])
    portfolio.save(update_fields=["slug", "display_name", "headline", "bio", "links", "visibility", "show_scores"])
    page_cache.forget_slugs(old_slug)
    _bump(portfolio)
    if was_world_visible and visibility == Portfolio.Visibility.PRIVATE:
        signals.portfolio_made_private.send(sender=Portfolio, portfolio=portfolio, by=portfolio.user, moderated=False)
    return portfolio


@transaction.atomic
def portfolio_hide(*, portfolio: Portfolio, by: User) -> Portfolio:
    """Moderation: staff make a portfolio private at once (the public page answers 404 from
    the next request). The learner can make it visible again after fixing what was wrong."""
    if not by.is_staff:
        raise ValidationError("Only staff can hide another learner's portfolio.")
    if portfolio.visibility != Portfolio.Visibility.PRIVATE:
        portfolio.visibility = Portfolio.Visibility.PRIVATE
        portfolio.save(update_fields=["visibility"])
        signals.portfolio_made_private.send(sender=Portfolio, portfolio=portfolio, by=by, moderated=True)
    _bump(portfolio)
    return portfolio


def entry_bloom_levels(work: WeeklyWork) -> list[dict]:
    """The Bloom levels an entry for this work shows: those of the week's outcome objectives."""
    if not work.week_id:
        return []
    levels = {}
    for objective in (
        Objective.objects.filter(week_id=work.week_id, kind=Objective.Kind.OUTCOME, bloom_level__isnull=False)
        .select_related("bloom_level")
        .order_by("bloom_level__rank")
    ):
        level = objective.bloom_level
        levels[level.key] = {"key": level.key, "name": level.name}
    return list(levels.values())


def entry_publish(
    *,
    work: WeeklyWork,
    by: User,
    narrative: str,
    artifact_ids: list[int],
    include_score: bool = False,
    now: datetime.datetime | None = None,
) -> PortfolioEntry:
    """entry_publish_or_republish for callers that do not care whether the entry is new."""
    entry, _ = entry_publish_or_republish(
        work=work, by=by, narrative=narrative, artifact_ids=artifact_ids, include_score=include_score, now=now
    )
    return entry


@transaction.atomic
def entry_publish_or_republish(
    *,
    work: WeeklyWork,
    by: User,
    narrative: str,
    artifact_ids: list[int],
    include_score: bool = False,
    now: datetime.datetime | None = None,
) -> tuple[PortfolioEntry, bool]:
    """Publish (or republish) the accepted revision of a work as a portfolio entry; also
    says whether the entry is new.

    The entry's content is copied now; republishing replaces the whole snapshot (fields and
    proofs) at once, keeping the entry's place and featured flag."""
    work.refresh_from_db(from_queryset=WeeklyWork.objects.select_for_update(), fields=["state", "latest_revision"])
    if by.pk != work.student_id:
        raise ValidationError("Only the learner can publish their own work.")
    if work.state != WeeklyWork.State.ACCEPTED or work.latest_revision_id is None:
        raise ValidationError("Only accepted work can be published.")
    revision = work.latest_revision
    if not narrative.strip():
        raise ValidationError({"narrative": "Write a short outcome narrative for the reader."})
    in_revision = {a.pk: a for a in revision.artifacts.order_by("created_at", "pk")}
    chosen = list(dict.fromkeys(artifact_ids))
    foreign = [pk for pk in chosen if pk not in in_revision]
    if foreign:
        raise ValidationError({"artifact_ids": "Choose proof artifacts from the accepted revision only."})
    now = now or timezone.now()
    portfolio = portfolio_ensure(user=by)
    portfolio = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    entry = PortfolioEntry.objects.select_for_update().filter(portfolio=portfolio, work=work).first()
    created = entry is None
    if created:
        top = portfolio.entries.aggregate(top=Max("order"))["top"]
        entry = PortfolioEntry(portfolio=portfolio, work=work, order=0 if top is None else top + 1)
    score: Decimal | None = mentor_score_for_revision(revision) if include_score else None
    if work.week_id:
        entry.title = work.week.title
        entry.is_capstone = False
        entry.week_number = work.week.number
        entry.phase = work.week.phase
        entry.capstone_project = ""
    else:
        project = work.deliverable.project
        entry.title = work.deliverable.title
        entry.is_capstone = True
        entry.week_number = None
        entry.phase = None
        entry.capstone_project = f"Project {project.number}: {project.title}"[:200]
    entry.revision = revision
    entry.revision_number = revision.number
    entry.bloom_levels = entry_bloom_levels(work)
    entry.narrative = narrative
    entry.mentor_score = score
    entry.published_at = now
    entry.unpublished_at = None
    entry.full_clean()
    entry.save()
    entry.proofs.all().delete()
    proofs = []
    for order, pk in enumerate(chosen):
        artifact = in_revision[pk]
        proof = PortfolioEntryArtifact(
            entry=entry,
            artifact=artifact,
            order=order,
            kind=artifact.kind,
            name=artifact.label[:1000],
            url=artifact.url if artifact.kind == Artifact.Kind.LINK else "",
            content_type=artifact.content_type,
            size=artifact.size,
            sha256=artifact.sha256,
            proves=artifact.proves,
        )
        proof.full_clean()
        proofs.append(proof)
    PortfolioEntryArtifact.objects.bulk_create(proofs)
    work_mark_published(work=work, at=now)
    _bump(portfolio, now)
    return entry, created


@transaction.atomic
def entry_unpublish(*, entry: PortfolioEntry, by: User, now: datetime.datetime | None = None) -> PortfolioEntry:
    """Hide the entry from the public page at once (its snapshot is kept for republishing).
    The learner does this; so can staff, moderating from the admin site."""
    if by.pk != entry.portfolio.user_id and not by.is_staff:
        raise ValidationError("Only the learner can unpublish their own entries.")
    if entry.unpublished_at is None:
        entry.unpublished_at = now or timezone.now()
        entry.save(update_fields=["unpublished_at"])
        work_mark_unpublished(work=entry.work)
        signals.entry_unpublished.send(sender=PortfolioEntry, entry=entry, by=by)
    _bump(entry.portfolio)
    return entry


@transaction.atomic
def entry_set_featured(*, entry: PortfolioEntry, by: User, featured: bool) -> PortfolioEntry:
    if by.pk != entry.portfolio.user_id:
        raise ValidationError("Only the learner can change their own entries.")
    entry.featured = featured
    entry.save(update_fields=["featured"])
    _bump(entry.portfolio)
    return entry


@transaction.atomic
def entry_move(*, entry: PortfolioEntry, by: User, direction: str) -> PortfolioEntry:
    """Swap the entry with its published neighbour above ("up") or below ("down")."""
    if by.pk != entry.portfolio.user_id:
        raise ValidationError("Only the learner can change their own entries.")
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.")
    siblings = list(
        PortfolioEntry.objects.select_for_update()
        .filter(portfolio_id=entry.portfolio_id, is_capstone=entry.is_capstone)
        .published()
        .order_by("order", "pk")
    )
    # Renumber first so equal orders (older data) still move predictably.
    ids = [e.pk for e in siblings]
    if entry.pk not in ids:
        raise ValidationError("Only published entries can be moved.")
    index = ids.index(entry.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings):
            if sibling.order != position:
                sibling.order = position
                sibling.save(update_fields=["order"])
        _bump(entry.portfolio)
    entry.refresh_from_db(fields=["order"])
    return entry


@transaction.atomic
def portfolio_proof_preview_ready(*, artifact_id: int, **_signal) -> int:
    """A proof's preview was built after its page was cached: raise the version of every
    portfolio that shows it, so the next visitor gets the page with the thumbnail. Connected
    to submissions.previews.preview_ready (PortfoliosConfig.ready); returns how many."""
    bumped = 0
    shown_in = Portfolio.objects.filter(
        entries__proofs__artifact_id=artifact_id, entries__unpublished_at__isnull=True
    ).distinct()
    for portfolio in shown_in:
        _bump(portfolio)
        bumped += 1
    return bumped
