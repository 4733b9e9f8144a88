import factory

from calendars.models import CalendarFeed

__all__ = ["CalendarFeedFactory"]


class CalendarFeedFactory(factory.django.DjangoModelFactory):
    """A person's calendar feed, turned on (its address is derived, see calendars.selectors)."""

    class Meta:
        model = CalendarFeed

    user = factory.SubFactory("tests.factories.accounts.UserFactory")
