"""Who may see which notification: only its recipient."""

from django.http import Http404

from accounts.models import User

from .models import Notification


def can_view_notification(user: User, notification: Notification) -> bool:
    return user.is_authenticated and notification.recipient_id == user.pk


def notification_get_for_user(user: User, pk: int) -> Notification:
    """The person's own notification; 404 both when missing and when someone else's."""
    notification = Notification.objects.filter(pk=pk).first()
    if notification is None or not can_view_notification(user, notification):
        raise Http404("No such notification.")
    return notification
