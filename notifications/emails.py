"""Reminder and notification e-mails: HTML and plain text from templates, absolute links, and a one-click
unsubscribe for the reminder's kind (a link in the body and RFC 8058 headers)."""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User

from .models import FEEDBACK_KINDS, Kind, ReminderLog

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=False)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (user id, kind) a token was made for; raises signing.BadSignature if tampered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or data.get("k") not in Kind.values or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Malformed unsubscribe token.")
    return data["u"], data["k"]


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


def reminder_email(log: ReminderLog) -> EmailMultiAlternatives:
    user = log.recipient
    unsubscribe_url = absolute(
        reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(user, log.kind)})
    )
    # Feedback notifications list each comment with a link to its own thread.
    template = "feedback" if log.kind in FEEDBACK_KINDS else "reminder"
    context = {
        "threads": [
            {"line": thread["line"], "url": absolute(thread["url"])} for thread in log.context.get("threads", [])
        ],
        "threads_heading": log.context.get("threads_heading", ""),
        "threads_more": log.context.get("threads_more", 0),
        "recipient": user,
        "title": log.title,
        "body": log.body,
        "link": absolute(log.url or "/"),
        "sections": log.context.get("sections", []),
        "kind_label": Kind(log.kind).label,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": absolute(reverse("notifications:preferences")),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{log.title}",
        body=render_to_string(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/email/{template}.html", context), "text/html")
    return message
