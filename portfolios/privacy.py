"""What portfolios holds about a person (see core.privacy): their portfolio page and its
published entries.

Erasure deletes the portfolio with every entry (the public page answers 404 from the next
request: the cached head of its address is dropped after commit) and marks the works as no
longer published. The credentials issued for its entries are the credentials app's
(`credentials/privacy.py`, which runs first and revokes them).
"""

from accounts.models import User
from core.privacy import DataProvider, Erasure, ExportArchive
from submissions.services import work_mark_unpublished

from . import cache as page_cache
from .models import Portfolio, PortfolioEntry


def _export(user: User, archive: ExportArchive) -> None:
    portfolio = Portfolio.objects.filter(user=user).first()
    if portfolio is None:
        archive.add_json("portfolio.json", None)
        return
    entries = PortfolioEntry.objects.filter(portfolio=portfolio).prefetch_related("proofs").order_by("order", "pk")
    archive.add_json(
        "portfolio.json",
        {
            "slug": portfolio.slug,
            "display_name": portfolio.display_name,
            "headline": portfolio.headline,
            "bio": portfolio.bio,
            "links": portfolio.links,
            "visibility": portfolio.visibility,
            "show_scores": portfolio.show_scores,
            "entries": [
                {
                    "title": e.title,
                    "revision_number": e.revision_number,
                    "narrative": e.narrative,
                    "bloom_levels": e.bloom_levels,
                    "mentor_score": str(e.mentor_score) if e.mentor_score is not None else None,
                    "published_at": e.published_at.isoformat(),
                    "unpublished_at": e.unpublished_at.isoformat() if e.unpublished_at else None,
                    "featured": e.featured,
                    "proofs": [
                        {"evidence_id": p.artifact_id, "name": p.name, "url": p.url, "sha256": p.sha256}
                        for p in e.proofs.all()
                    ],
                }
                for e in entries
            ],
        },
    )


def _erase(erasure: Erasure) -> None:
    for portfolio in Portfolio.objects.filter(user=erasure.user):
        entries = list(PortfolioEntry.objects.filter(portfolio=portfolio).select_related("work"))
        for entry in entries:
            if entry.work.published_at is not None:
                work_mark_unpublished(work=entry.work)
        slug = portfolio.slug
        portfolio.delete()
        page_cache.forget_slugs(slug)
        erasure.count("portfolio pages deleted", 1)
        erasure.count("portfolio entries deleted", len(entries))


PROVIDER = DataProvider(
    label="Portfolio",
    models=("portfolios.Portfolio",),
    export=_export,
    erase=_erase,
)
