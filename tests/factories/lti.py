import factory

from lti.models import Context, Deployment, GradeSync, LmsAccount, Platform, ResourceLink, RosterSync

from .accounts import UserFactory
from .cohorts import CohortFactory
from .curriculum import WeekFactory

__all__ = [
    "PlatformFactory",
    "DeploymentFactory",
    "ContextFactory",
    "LmsAccountFactory",
    "ResourceLinkFactory",
    "GradeSyncFactory",
    "RosterSyncFactory",
]


class PlatformFactory(factory.django.DjangoModelFactory):
    """A registered LMS (its URLs point nowhere: tests that launch use tests/lti/platform.py)."""

    class Meta:
        model = Platform

    name = factory.Sequence(lambda n: f"Test LMS {n}")
    issuer = factory.Sequence(lambda n: f"https://lms{n}.example.edu")
    client_id = factory.Sequence(lambda n: f"client-{n}")
    auth_login_url = factory.LazyAttribute(lambda o: f"{o.issuer}/auth")
    access_token_url = factory.LazyAttribute(lambda o: f"{o.issuer}/token")
    jwks_url = factory.LazyAttribute(lambda o: f"{o.issuer}/jwks")


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    platform = factory.SubFactory(PlatformFactory)
    deployment_id = factory.Sequence(lambda n: f"deployment-{n}")


class ContextFactory(factory.django.DjangoModelFactory):
    """An LMS course mapped to a cohort (ContextFactory(cohort=None): not set up yet)."""

    class Meta:
        model = Context

    deployment = factory.SubFactory(DeploymentFactory)
    platform = factory.SelfAttribute("deployment.platform")
    context_id = factory.Sequence(lambda n: f"course-{n}")
    title = factory.Sequence(lambda n: f"Backend Engineering, section {n}")
    cohort = factory.SubFactory(CohortFactory)


class LmsAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LmsAccount

    platform = factory.SubFactory(PlatformFactory)
    issuer = factory.SelfAttribute("platform.issuer")
    sub = factory.Sequence(lambda n: f"lms-user-{n}")
    user = factory.SubFactory(UserFactory)


class ResourceLinkFactory(factory.django.DjangoModelFactory):
    """A link in the LMS course that opens one week of the context's cohort's course."""

    class Meta:
        model = ResourceLink

    context = factory.SubFactory(ContextFactory)
    resource_link_id = factory.Sequence(lambda n: f"link-{n}")
    title = factory.LazyAttribute(lambda o: f"Week {o.week.number}")
    week = factory.SubFactory(WeekFactory)


class GradeSyncFactory(factory.django.DjangoModelFactory):
    """An accepted decision's score recorded for the LMS (not sent: no task runs)."""

    class Meta:
        model = GradeSync

    # The assessment first: its cohort becomes an LMS course only after the decision, so
    # grade passback's receiver does not record one itself.
    assessment = factory.SubFactory("tests.factories.rubrics.AssessmentFactory")
    context = factory.SubFactory(ContextFactory, cohort=factory.SelfAttribute("..assessment.revision.work.cohort"))
    work = factory.SelfAttribute("assessment.revision.work")
    student = factory.SelfAttribute("work.student")
    score_given = factory.SelfAttribute("assessment.score")
    timestamp = factory.SelfAttribute("assessment.submitted_at")


class RosterSyncFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RosterSync

    context = factory.SubFactory(ContextFactory)
    cohort = factory.SelfAttribute("context.cohort")
    requested_by = factory.SubFactory(UserFactory)
    members_read = 1
    plan = factory.LazyFunction(lambda: {"add": [], "change": [], "remove": [], "waiting": [], "kept": []})
