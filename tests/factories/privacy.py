import datetime

import factory
from django.utils import timezone

from privacy.models import DataExport, ErasureRequest

__all__ = ["DataExportFactory", "ErasureRequestFactory"]


class DataExportFactory(factory.django.DjangoModelFactory):
    """A queued archive of a person's data, asked for by themselves."""

    class Meta:
        model = DataExport

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    requested_by = factory.SelfAttribute("user")


class ErasureRequestFactory(factory.django.DjangoModelFactory):
    """An erasure the person confirmed with their password, waiting for its grace period."""

    class Meta:
        model = ErasureRequest

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
    requested_by = factory.SelfAttribute("user")
    confirmation = ErasureRequest.Confirmation.PASSWORD
    requested_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.SelfAttribute("requested_at")
    due_at = factory.LazyAttribute(lambda o: o.confirmed_at + datetime.timedelta(days=14))
