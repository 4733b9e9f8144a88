import factory

from portfolios import services
from portfolios.models import Portfolio, PortfolioEntry, PortfolioEntryArtifact

from .rubrics import accepted_work

__all__ = ["PortfolioFactory", "PortfolioEntryFactory", "PortfolioEntryArtifactFactory"]


class PortfolioFactory(factory.django.DjangoModelFactory):
    """A public portfolio; entries come from portfolios.services.entry_publish on accepted work."""

    class Meta:
        model = Portfolio

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    slug = factory.Sequence(lambda n: f"learner-{n}")
    display_name = factory.LazyAttribute(lambda o: o.user.display_name)
    headline = "Backend engineer: queues, caches and capacity plans"
    bio = "I make slow endpoints fast and **measure** before I change anything."
    links = factory.LazyFunction(lambda: [{"label": "GitHub", "url": "https://github.com/example"}])
    visibility = Portfolio.Visibility.PUBLIC


class PortfolioEntryFactory(factory.django.DjangoModelFactory):
    """An entry published by portfolios.services.entry_publish from genuinely accepted work
    (by default accepted_work(): week 1 with a k6 summary, accepted by its mentor's review),
    into the learner's portfolio (a PortfolioFactory one unless they have one). The service
    copies the snapshot: title, week and phase, Bloom levels, the accepted revision and, as
    proofs, the chosen artifacts of that revision (all of them by default) with their
    frozen size and SHA-256."""

    class Meta:
        model = PortfolioEntry

    work = factory.LazyFunction(accepted_work)
    portfolio = factory.LazyAttribute(
        lambda o: Portfolio.objects.filter(user=o.work.student).first() or PortfolioFactory(user=o.work.student)
    )
    narrative = "Cut checkout p95 from 180 ms to 41 ms at 200 requests/s with one covering index."
    proofs = factory.LazyAttribute(lambda o: list(o.work.latest_revision.artifacts.order_by("created_at", "pk")))
    include_score = False
    published_at = None  # now

    @classmethod
    def _create(cls, model_class, *, work, portfolio, narrative, proofs, include_score, published_at, **computed):
        if computed:
            raise TypeError(f"{sorted(computed)} of an entry are copied from the work by entry_publish.")
        if portfolio.user_id != work.student_id:
            raise ValueError("Work is published in its own student's portfolio.")
        return services.entry_publish(
            work=work,
            by=work.student,
            narrative=narrative,
            artifact_ids=[artifact.pk for artifact in proofs],
            include_score=include_score,
            now=published_at,
        )


class PortfolioEntryArtifactFactory(factory.django.DjangoModelFactory):
    """A proof of a published entry. entry_publish freezes proofs with their entry, so this
    publishes one (PortfolioEntryFactory) and returns its proof of `artifact`, the first by
    default."""

    class Meta:
        model = PortfolioEntryArtifact

    entry = factory.SubFactory(PortfolioEntryFactory)
    artifact = factory.LazyAttribute(lambda o: o.entry.proofs.order_by("order", "pk").first().artifact)

    @classmethod
    def _create(cls, model_class, *, entry, artifact, **frozen):
        if frozen:
            raise TypeError(f"{sorted(frozen)} of a proof are copied from the artifact by entry_publish.")
        proof = model_class.objects.filter(entry=entry, artifact=artifact).first()
        if proof is None:
            raise ValueError(f"Artifact {artifact.pk} is not a proof of entry {entry.pk}.")
        return proof
