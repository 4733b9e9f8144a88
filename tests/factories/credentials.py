import factory

from credentials import services
from credentials.models import Credential

__all__ = ["CredentialFactory"]


class CredentialFactory(factory.django.DjangoModelFactory):
    """A credential claimed by its learner through credentials.services.credential_claim, for a
    published entry (a PortfolioEntryFactory one by default: accepted week 1 in a public
    portfolio). The service signs it; nothing of it is set by hand."""

    class Meta:
        model = Credential

    entry = factory.SubFactory("tests.factories.portfolios.PortfolioEntryFactory")

    @classmethod
    def _create(cls, model_class, *, entry, **signed):
        if signed:
            raise TypeError(f"{sorted(signed)} of a credential are set by credential_claim.")
        return services.credential_claim(entry=entry, by=entry.portfolio.user)
