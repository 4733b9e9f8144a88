import factory

from insights.models import AtRiskInputs, AtRiskRules
from insights.services import at_risk_inputs_refresh

__all__ = ["AtRiskRulesFactory", "AtRiskInputsFactory"]


class AtRiskRulesFactory(factory.django.DjangoModelFactory):
    """A cohort's tuned at-risk rules (the defaults unless given)."""

    class Meta:
        model = AtRiskRules
        django_get_or_create = ("cohort",)

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")


class AtRiskInputsFactory(factory.django.DjangoModelFactory):
    """A student's stored at-risk inputs, computed from their records the way the write path
    computes them (insights.services.at_risk_inputs_refresh): the student must be a student
    member of the cohort (the default makes one)."""

    class Meta:
        model = AtRiskInputs

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")

    @classmethod
    def _create(cls, model_class, *, cohort, student):
        from .cohorts import MembershipFactory

        MembershipFactory(cohort=cohort, user=student)
        at_risk_inputs_refresh(cohort_id=cohort.pk, student_ids=[student.pk])
        return model_class.objects.get(cohort=cohort, student=student)
