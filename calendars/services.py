from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import CalendarFeed, new_nonce


@transaction.atomic
def feed_enable(*, user: User) -> CalendarFeed:
    """Give the person a private feed address (the one they have, if they have one)."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def feed_reset(*, user: User) -> CalendarFeed:
    """A new address; the old one stops working at once (e.g. after it was shared by mistake)."""
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    if feed is None:
        return feed_enable(user=user)
    feed.nonce = new_nonce()
    feed.reset_at = timezone.now()
    feed.save(update_fields=["nonce", "reset_at"])
    return feed


@transaction.atomic
def feed_disable(*, user: User) -> bool:
    """Turn the feed off: its address stops working. True when there was one."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)
