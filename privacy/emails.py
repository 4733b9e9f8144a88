"""The e-mails about an erasure: when it is scheduled (with the date and the page to cancel
it) and when it is cancelled. Nothing is sent after the erasure: the address is gone."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.privacy import ERASED_EMAIL_DOMAIN

from .models import ErasureRequest

SUBJECTS = {
    "scheduled": "Your account is scheduled for erasure",
    "cancelled": "The erasure of your account was cancelled",
}


def erasure_notice_send(*, request_id: int, event: str) -> bool:
    """Send the notice for `event`; False when there is nobody left to tell."""
    request = ErasureRequest.objects.select_related("user", "requested_by").filter(pk=request_id).first()
    if request is None or event not in SUBJECTS or request.user.email.endswith(f"@{ERASED_EMAIL_DOMAIN}"):
        return False
    context = {
        "request": request,
        "person": request.user,
        "by_admin": request.requested_by_id != request.user_id,
        "page_url": f"{settings.SITE_URL}{reverse('privacy:home')}",
        "event": event,
    }
    EmailMessage(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{SUBJECTS[event]}",
        body=render_to_string("privacy/email/erasure_notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[request.user.email],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()
    return True
