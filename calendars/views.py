from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import services
from .ical import feed_ics, feed_name
from .selectors import calendar_events, feed_for_user, feed_get_by_secret, feed_path

UPCOMING_SHOWN = 12


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The person's feed: its address, what it holds, reset and turn off."""
    feed = feed_for_user(request.user)
    now = timezone.now()
    events = calendar_events(request.user, now=now)
    upcoming = [event for event in events if event.start >= now]
    return render(
        request,
        "calendars/home.html",
        {
            "feed_url": request.build_absolute_uri(feed_path(feed)) if feed else "",
            "upcoming": upcoming[:UPCOMING_SHOWN],
            "event_count": len(events),
            "upcoming_count": len(upcoming),
        },
    )


_ACTIONS = {
    "enable": (services.feed_enable, "Your calendar address is ready: add it to your calendar app."),
    "reset": (services.feed_reset, "Your calendar has a new address; the old one no longer works."),
    "disable": (services.feed_disable, "Your calendar feed is off; its address no longer works."),
}


@login_required
@require_POST
def feed_action(request: HttpRequest, action: str) -> HttpResponse:
    """Turn the person's own feed on, give it a new address, or turn it off."""
    if action not in _ACTIONS:
        raise Http404("No such action.")
    service, done = _ACTIONS[action]
    service(user=request.user)
    messages.success(request, done)
    return redirect("calendars:home")


@require_GET
@never_cache
def feed(request: HttpRequest, pk: int, secret: str) -> HttpResponse:
    """The iCalendar file a calendar app subscribes to: no session, the address is the key."""
    found = feed_get_by_secret(pk, secret)
    now = timezone.now()
    body = feed_ics(
        name=feed_name(found.user.display_name),
        events=calendar_events(found.user, now=now),
        base_url=request.build_absolute_uri("/").rstrip("/"),
        now=now,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="due-dates.ics"'
    # The address is a secret: keep it out of Referer headers of links followed from the file.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
