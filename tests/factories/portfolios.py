import factory

from portfolios.models import Portfolio

__all__ = ["PortfolioFactory"]


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
