import factory

from submissions.models import Retrospective, RiskEntry, WeeklyWork

__all__ = ["WeeklyWorkFactory", "RiskEntryFactory", "RetrospectiveFactory"]


class WeeklyWorkFactory(factory.django.DjangoModelFactory):
    """A draft for week 1 of the cohort's course (pass week= or deliverable=; the student
    should be a student member of the cohort)."""

    class Meta:
        model = WeeklyWork

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    deliverable = None


class RiskEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskEntry

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    kind = RiskEntry.Kind.RISK
    title = factory.Sequence(lambda n: f"Connection pool exhaustion under burst load #{n}")
    severity = RiskEntry.Severity.MEDIUM
    week_opened = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))


class RetrospectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retrospective

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    retain = "Measuring before changing anything."
    improve = "Start the load tests earlier in the week."
    scale = "Keep a latency budget for every new endpoint."
