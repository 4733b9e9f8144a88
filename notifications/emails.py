"""Reminder and notification e-mails: HTML and plain text from templates, absolute links, and a one-click
unsubscribe for the reminder's kind (a link in the body and RFC 8058 headers).

The templates (templates/notifications/email/) are Jinja2, not the Django template language: a
sweep builds one e-mail per person (3,823 at 3,698 students, each a text and an HTML part), and
Django's templates, interpreted node by node, took about 1 ms of CPU per e-mail, a sixth of the
sweep's CPU; Jinja2 compiles each template to a Python function once. Variables in the HTML part
are escaped as Django's templates escape them, so the e-mails are the same to the byte."""

import functools
import html

import jinja2
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.defaultfilters import linebreaksbr
from django.urls import get_script_prefix, get_urlconf, reverse
from markupsafe import Markup

from accounts.models import User

from .models import FEEDBACK_KINDS, Kind, ReminderLog

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(user: User, *kinds: str) -> str:
    """A signed token that stops `user`'s e-mails of `kinds` (one kind, as every link sent
    before the gathered reminders, or the several kinds of one gathered e-mail)."""
    return signing.dumps(
        {"u": user.pk, "k": kinds[0] if len(kinds) == 1 else list(kinds)}, salt=UNSUBSCRIBE_SALT, compress=False
    )


def read_unsubscribe_token(token: str) -> tuple[int, tuple[str, ...]]:
    """The (user id, kinds) a token was made for; raises signing.BadSignature if tampered."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Malformed unsubscribe token.")
    kinds = data.get("k")
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds) if isinstance(kinds, list) else ()
    if not kinds or any(kind not in Kind.values for kind in kinds):
        raise signing.BadSignature("Malformed unsubscribe token.")
    return data["u"], kinds


def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}{path}"


_TOKEN_PLACE = "0token0"  # stands for a token in the reversed unsubscribe path


@functools.lru_cache(maxsize=8)
def _paths(urlconf: str, script_prefix: str) -> tuple[str, str, str]:
    """(preferences path, unsubscribe path before its token, after it), reversed once per URL
    configuration: an e-mail reversed them once per kind it stops, plus twice, and reverse()
    was about a quarter of building a sweep's e-mails under cProfile (3,823 at 3,698 students). A token is base64
    (URL-safe) and colons, characters reverse() leaves as they are."""
    before, after = reverse("notifications:unsubscribe", kwargs={"token": _TOKEN_PLACE}).split(_TOKEN_PLACE)
    return reverse("notifications:preferences"), before, after


def _link_paths() -> tuple[str, str, str]:
    return _paths(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def _unsubscribe_url(user: User, *kinds: str) -> str:
    _, before, after = _link_paths()
    return absolute(f"{before}{unsubscribe_token(user, *kinds)}{after}")


def _escaped(value) -> Markup:
    """What a variable prints in an HTML part: Django's `conditional_escape` (html.escape:
    `&#x27;` for a quote where MarkupSafe writes `&#39;`), so that the e-mails read as they did
    from Django's templates; written out, as Django's own goes through its lazy-string wrapper
    (a fifth of the rendering's CPU)."""
    if hasattr(value, "__html__"):
        return Markup(value.__html__())
    return Markup(html.escape(str(value)))


@functools.cache
def _environments() -> tuple[jinja2.Environment, jinja2.Environment]:
    """(HTML, plain text), made once per process; templates are compiled on first use and kept
    (and, in DEBUG, reloaded when their file changes)."""
    loader = jinja2.FileSystemLoader(settings.BASE_DIR / "templates")
    options = {"loader": loader, "keep_trailing_newline": True, "auto_reload": settings.DEBUG}
    html = jinja2.Environment(**options, autoescape=True, finalize=_escaped)
    html.filters["linebreaksbr"] = lambda value: Markup(linebreaksbr(value, autoescape=True))
    return html, jinja2.Environment(**options, autoescape=False)


def _render(name: str, context: dict) -> str:
    html, text = _environments()
    return (html if name.endswith(".html") else text).get_template(name).render(context)


def _message(*, user: User, subject: str, template: str, context: dict, unsubscribe_url: str) -> EmailMultiAlternatives:
    context = {
        **context,
        "recipient": user,
        "preferences_url": absolute(_link_paths()[0]),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        body=_render(f"notifications/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(_render(f"notifications/email/{template}.html", context), "text/html")
    return message


def reminder_email(log: ReminderLog) -> EmailMultiAlternatives:
    user = log.recipient
    unsubscribe_url = _unsubscribe_url(user, log.kind)
    # Feedback notifications list each comment with a link to its own thread.
    template = "feedback" if log.kind in FEEDBACK_KINDS else "reminder"
    context = {
        "threads": [
            {"line": thread["line"], "url": absolute(thread["url"])} for thread in log.context.get("threads", [])
        ],
        "threads_heading": log.context.get("threads_heading", ""),
        "threads_more": log.context.get("threads_more", 0),
        "title": log.title,
        "body": log.body,
        "link": absolute(log.url or "/"),
        "sections": log.context.get("sections", []),
        "kind_label": Kind(log.kind).label,
        "unsubscribe_url": unsubscribe_url,
    }
    return _message(user=user, subject=log.title, template=template, context=context, unsubscribe_url=unsubscribe_url)


def reminders_email(logs: list[ReminderLog]) -> EmailMultiAlternatives:
    """One e-mail telling one person several reminders of a sweep, each with its own link,
    and a link to stop each kind among them; the one-click header stops all of those kinds."""
    user = logs[0].recipient
    kinds = list(dict.fromkeys(log.kind for log in logs))  # in the order they first appear
    reminders = [
        {
            "title": log.title,
            "body": log.body,
            "link": absolute(log.url or "/"),
            "sections": log.context.get("sections", []),
        }
        for log in logs
    ]
    context = {
        "title": f"{len(logs)} reminders",
        "reminders": reminders,
        "unsubscribes": [{"kind_label": Kind(kind).label, "url": _unsubscribe_url(user, kind)} for kind in kinds],
    }
    subject = f"{len(logs)} reminders: {logs[0].title}, and {len(logs) - 1} more"
    return _message(
        user=user,
        subject=subject,
        template="reminders",
        context=context,
        unsubscribe_url=_unsubscribe_url(user, *kinds),
    )
