import datetime

import factory
from django.utils import timezone

from cohorts.models import Cohort, CohortInvitation, EndedMentorAssignment, Extension, Membership, MentorAssignment
from cohorts.signals import student_changed
from curriculum.selectors import course_default

from .accounts import UserFactory

__all__ = [
    "CohortFactory",
    "MembershipFactory",
    "MentorAssignmentFactory",
    "ExtensionFactory",
    "CohortInvitationFactory",
    "EndedMentorAssignmentFactory",
]


class CohortFactory(factory.django.DjangoModelFactory):
    """A cohort of the bundled course starting on 7 September 2026; CohortFactory(running=True)
    started two days ago, so week 1 is open now and work submitted now is on time."""

    class Meta:
        model = Cohort

    class Params:
        running = factory.Trait(
            start_date=factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=2))
        )

    course = factory.LazyFunction(course_default)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    slug = factory.Sequence(lambda n: f"cohort-{n}")
    start_date = datetime.date(2026, 9, 7)
    time_zone = "Europe/Berlin"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    cohort = factory.SubFactory(CohortFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STUDENT

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        membership = super()._create(model_class, *args, **kwargs)
        if membership.role == Membership.Role.STUDENT:
            tell_student_changed(membership.cohort_id, membership.user_id)
        return membership


def tell_student_changed(cohort_id: int, student_id: int) -> None:
    """What the services say when they change a student's record
    (cohorts.services.cohort_grades_changed), for the factories that save rows directly: the
    apps above that keep per-student figures (insights' at-risk inputs) stay true to the rows."""
    student_changed.send(sender=Cohort, cohort_id=cohort_id, student_id=student_id)


class MentorAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorAssignment

    cohort = factory.SubFactory(CohortFactory)
    mentor = factory.SubFactory(UserFactory)
    student = factory.SubFactory(UserFactory)


class ExtensionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Extension

    cohort = factory.SubFactory(CohortFactory)
    student = factory.SubFactory(UserFactory)
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    due_at = factory.LazyAttribute(lambda o: datetime.datetime(2026, 9, 20, 23, 59, tzinfo=datetime.UTC))


class CohortInvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation; its link's token is `factory.token` unless given (the row keeps only a hash)."""

    class Meta:
        model = CohortInvitation

    cohort = factory.SubFactory(CohortFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Membership.Role.STUDENT
    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: CohortInvitation.hash_token(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, token: str, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.token = token  # what the e-mailed link carries; only its hash is stored
        return invitation


class EndedMentorAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EndedMentorAssignment

    cohort = factory.SubFactory(CohortFactory)
    mentor = factory.SubFactory(UserFactory)
    student = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
