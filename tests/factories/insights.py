import factory

from insights.models import AtRiskRules

__all__ = ["AtRiskRulesFactory"]


class AtRiskRulesFactory(factory.django.DjangoModelFactory):
    """A cohort's tuned at-risk rules (the defaults unless given)."""

    class Meta:
        model = AtRiskRules
        django_get_or_create = ("cohort",)

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
