"""Cached signed-in pages answered before the session, authentication, CSRF, messages, CSP and
allauth middleware: the same entry that core.pagecache would serve, for a fraction of the CPU.

A repeat of a cached page (the review queue, a learner's own mastery page) costs one cache read
in its view, but the middleware stack and Django's ORM around it cost several times the page:
a signed-in hello view took about 2 ms. `SignedInPageMiddleware` sits right after the signed-out
public page's (portfolios/middleware.py) and answers a GET or HEAD of a page listed in
FAST_PAGES when, and only when, the full stack would let the same viewer through and serve the
same cached entry; anything else passes the request on untouched.

The database stays the authority for who is signed in: every answer reads the session row, then
the user row with their cohorts and unread count in one statement, with SQL compiled once per
process and prepared once per connection (core/sessions.py, courseplatform/viewer.py,
core/prepared.py), never a cached "still valid" flag, so a
sign-out, a flushed or cycled session, a password change, a deactivated account takes effect on
the very next request, whatever Redis went through meanwhile. Then, as the stack would:

- the session decoded with Django's signing (a tampered or unknown key reads as no session),
  its expiry checked in SQL, its user named with an authentication backend of the settings, and
  its `_auth_user_hash` compared in constant time with the current secret's (a session signed
  with a fallback secret is cycled by django.contrib.auth: the full path does that write);
- the account active (ModelBackend.user_can_authenticate);
- nobody who must still enrol a second factor (accounts.policies, as RequireStaffMFAMiddleware);
- no flash messages waiting (their cookie, or the session's), no LTI-framed session (its
  framing headers are set by lti.framing on the full path), a CSRF cookie in the form
  CsrfViewMiddleware accepts without rewriting it (none, or an old masked one: the full path
  sets a new one).

The entry is found by pagecache.fast_key over the user row, the URL, the layout's parts (the
navigation, made from the same rows by courseplatform.navigation.navigation_of) and the page's
own parts: what its view's function listed in FAST_PAGES makes of the viewer's membership
stamps and the URL (the stamps themselves for the review queue; the stamp of the cohort and the
LMS panel's version for the gradebook), the same function the view calls when it keeps or
serves the page (core/pagecache.py says which views may opt in). One query (the session row
with the viewer this process last saw in it, `_sessions_seen`; two for a session it has not
seen: the session, then the viewer), then one cache read (the gradebook's LMS
panel version comes from this process's mirror, lti.selectors.panel_versions, read through to
the cache when it has no copy); a miss goes down the full path, which keeps the entry under both
keys. Redis unreachable: the fail-soft cache reads a miss, so the full path answers. The first
statement is also the connection's health check (core/first_statement.py): a connection
PostgreSQL dropped fails it, is closed, and the full path answers on a new one.

The API's works list is answered the same way for a personal access token (`_api_answer`): the
token checked by its own authentication class on every request, the media type negotiated by
the view's renderers, the throttle counted once an entry is found (with Redis, in the same round
trip as the read: core.cache.FailSoftRedisCache.get_and_count_request), DRF's headers added.

The answer carries what the stack would add: this request's own masked CSRF token in the forms
and the CSRF cookie renewed (CsrfViewMiddleware's own code), `Vary: Cookie`, X-Frame-Options, the
Content-Security-Policy (built once, core.middleware.default_csp) and Content-Length;
SecurityMiddleware, the request id and the forwarded-header checks run before it. It is counted
per view in the Prometheus series, as PublicPageMiddleware's answers are.
"""

import functools
from collections.abc import Callable
from typing import NamedTuple

from csp.constants import HEADER, HEADER_REPORT_ONLY
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions.models import Session
from django.core.exceptions import DisallowedHost, ValidationError
from django.db import router
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, CsrfViewMiddleware
from django.urls import Resolver404, ResolverMatch, resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django_prometheus.middleware import PrometheusAfterMiddleware
from rest_framework.exceptions import AuthenticationFailed, NotAcceptable
from rest_framework.request import Request

from accounts.authentication import PersonalAccessTokenAuthentication
from accounts.models import User
from accounts.policies import must_enrol_second_factor
from accounts.stages import PROVIDER_SECOND_FACTOR_SESSION_KEY
from cohorts.selectors import roles_of_stamps
from cohorts.views import cohort_fast_parts
from core import pagecache
from core.first_statement import StaleConnection, checks_connection
from core.middleware import default_csp
from core.sessions import SessionStore, read_in_this_request
from courseplatform.navigation import navigation_known, navigation_of
from courseplatform.viewer import Viewer, session_and_viewer_get, token_and_stamps_get, viewer_get
from insights.views import at_risk_fast_parts, grid_fast_parts
from lti.framing import FRAME_ORIGIN_SESSION_KEY
from progress.views import mastery_fast_parts
from rubrics.views import review_queue_fast_parts


class FastPage(NamedTuple):
    """A page whose view keeps its entries with `fast` (core/pagecache.py).

    `parts`: the view's own function that gives its `fast` parts from the URL's keyword
    arguments, the viewer's user row and their membership stamps (and reads nothing else that
    costs a query), or None where the view keeps no fast entry. The view calls the same function
    with the same values, so the two paths find the same entry or nothing.
    `viewer_may`: a check of the URL's arguments against the session's user id, made before any
    row is read, for pages the view keeps only for some viewers (a learner's own mastery page)."""

    parts: Callable[..., object]
    viewer_may: Callable[[dict, int], bool] = lambda url_kwargs, user_id: True


FAST_PAGES: dict[str, FastPage] = {
    "rubrics:queue": FastPage(review_queue_fast_parts),
    "progress:mastery": FastPage(mastery_fast_parts, lambda url_kwargs, user_id: url_kwargs["student_id"] == user_id),
    "insights:gradebook": FastPage(grid_fast_parts),
    "insights:heatmap": FastPage(grid_fast_parts),
    "cohorts:detail": FastPage(cohort_fast_parts),
    "insights:at_risk": FastPage(at_risk_fast_parts),
}

# API lists kept the same way (`fast_layout=False`), answered for a personal access token.
FAST_API_PAGES = frozenset({"api:v1:work-list"})

_CSRF_CHARS = frozenset(CSRF_ALLOWED_CHARS)
_MESSAGES_COOKIE = "messages"  # CookieStorage's (django.contrib.messages.storage.cookie)


@functools.lru_cache(maxsize=4096)
def _fast_page(path: str):
    """The resolved URL of a page listed in FAST_PAGES, or None; resolved once per path and
    process (the metrics label the answer with its view)."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match if match.view_name in FAST_PAGES or match.view_name in FAST_API_PAGES else None


def _csrf_secret(request: HttpRequest) -> str | None:
    """The CSRF cookie's secret when CsrfViewMiddleware would take it as it is."""
    secret = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    if settings.CSRF_USE_SESSIONS or len(secret) != CSRF_SECRET_LENGTH or not _CSRF_CHARS.issuperset(secret):
        return None
    return secret


def _session_user_id(session: dict) -> int | None:
    """The id of the user the session says is signed in, if any."""
    try:
        return User._meta.pk.to_python(session[SESSION_KEY])
    except (KeyError, ValueError, TypeError, ValidationError):
        return None


def _signed_in_viewer(session: dict, user_id: int, prefetched: tuple[int, Viewer | None] | None) -> Viewer | None:
    """The session's user as django.contrib.auth.get_user finds it with the current secret,
    with their membership stamps and unread count (one statement, unless they were read with
    the session: `prefetched`, for the user id this process last saw in it), or None (gone,
    inactive, an unknown backend, or a hash that does not match)."""
    session_hash = session.get(HASH_SESSION_KEY)
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS or not session_hash:
        return None
    viewer = prefetched[1] if prefetched is not None and prefetched[0] == user_id else viewer_get(user_id)
    # ModelBackend.user_can_authenticate, then the hash as get_user compares it.
    if viewer is None or not viewer.user.is_active:
        return None
    return viewer if constant_time_compare(session_hash, viewer.user.get_session_auth_hash()) else None


class SessionSeen(NamedTuple):
    """A session this process answered before: its row's data as stored, what it decoded to,
    and the user id in it."""

    data: str
    session: dict
    user_id: int


# By session key. A repeat visitor's session row and viewer are read in one statement, for the
# user id seen last time: the row's data, read with it, says whether that is still its user (a
# changed row is decoded again, and a different user read with a second statement). Nothing
# here says a session is valid; only that this process decoded that very row before.
_sessions_seen: dict[str, SessionSeen] = {}
SESSIONS_SEEN_MAX = 10_000  # then forgotten all at once: a few megabytes at most


class SessionRead(NamedTuple):
    """A refusal after the session row was read: the full path takes the decoded session
    instead of reading the row again (core.sessions.read_in_this_request)."""

    session_key: str
    data: dict


def cached_signed_in_page(request: HttpRequest) -> HttpResponse | SessionRead | None:
    """The cached page the full path would serve this request; else None, or the session as
    read, when the full path must answer."""
    if request.method not in ("GET", "HEAD") or _MESSAGES_COOKIE in request.COOKIES:
        return None
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key and "HTTP_AUTHORIZATION" not in request.META:
        return None
    match = _fast_page(request.path_info)
    if match is None:
        return None
    if match.view_name in FAST_API_PAGES:
        # A token's request; one with a session cookie too goes down the full path, which may
        # read that session (the second-factor rule, LTI framing).
        return _api_answer(request, match) if not session_key else None
    csrf_secret = _csrf_secret(request)
    if not session_key or csrf_secret is None or match.view_name not in FAST_PAGES:
        return None
    store = SessionStore(session_key)
    seen = _sessions_seen.get(session_key)
    prefetched = None
    try:
        with checks_connection(router.db_for_read(Session)):
            if seen is None:
                read = store.read()
            else:
                data, viewer = session_and_viewer_get(session_key, seen.user_id)
                prefetched = (seen.user_id, viewer)
                read = None if data is None else (data, dict(seen.session) if data == seen.data else store.decode(data))
    except StaleConnection:
        return None  # the full path answers on a new connection
    if read is None or not read[1]:
        _sessions_seen.pop(session_key, None)
        return None
    data, session = read
    user_id = _session_user_id(session)
    if user_id is not None and (seen is None or seen.data != data):
        if len(_sessions_seen) >= SESSIONS_SEEN_MAX:
            _sessions_seen.clear()
        _sessions_seen[session_key] = SessionSeen(data, dict(session), user_id)
    response = _answer(request, match, store, session, csrf_secret, prefetched)
    # The full path gets its own decoded copy: it may change the session.
    return response if response is not None else SessionRead(session_key, store.decode(data))


def _answer(
    request: HttpRequest,
    match: ResolverMatch,
    store: SessionStore,
    session: dict,
    csrf_secret: str,
    prefetched: tuple[int, Viewer | None] | None,
) -> HttpResponse | None:
    if session.get(SessionStorage.session_key) or session.get(FRAME_ORIGIN_SESSION_KEY):
        return None
    user_id = _session_user_id(session)
    page = FAST_PAGES[match.view_name]
    if user_id is None or not page.viewer_may(match.kwargs, user_id):
        return None
    viewer = _signed_in_viewer(session, user_id, prefetched)
    if viewer is None:
        return None
    user, stamps = viewer.user, viewer.stamps
    # The roles are the stamps' (cohorts registers the only role source, accounts.roles).
    roles = roles_of_stamps(stamps)
    if (
        settings.MFA_REQUIRED_FOR_STAFF
        and not session.get(PROVIDER_SECOND_FACTOR_SESSION_KEY)
        and must_enrol_second_factor(user, roles=roles)
    ):
        return None
    request.user = user
    navigation_known(request, navigation_of(user, roles=roles, unread_notifications=viewer.unread_notifications))
    parts = page.parts(user=user, stamps=stamps, **match.kwargs)
    try:
        key = pagecache.fast_key(request, parts) if parts is not None else None
    except DisallowedHost:  # the full path answers it (CommonMiddleware's 400)
        key = None
    entry = pagecache.fast_entry_get(key) if key is not None else None
    if entry is None:
        # Nothing read here stays on the request: the full path reads the user and the rest again.
        for name in ("user", "_navigation"):
            request.__dict__.pop(name, None)
        return None
    content_type, body, marker = entry
    store._session_cache = session  # as loaded: anything after this reads no row again
    request.session = store
    request.resolver_match = match
    request.META["CSRF_COOKIE"] = csrf_secret
    response = HttpResponse(pagecache.with_csrf_token(body, marker, request), content_type=content_type)
    response.page_cache, response.page_cache_key, response.page_cache_path = "hit", key, "fast"
    return response


@functools.lru_cache(maxsize=16)
def _api_view(view_name: str, match: ResolverMatch) -> tuple:
    """What DRF's view for this URL answers with besides its body, made once per process as
    `ViewSetMixin.as_view` makes the view: (renderers, content negotiation, throttle classes,
    its default response headers: Allow, and Vary with several renderers)."""
    view = match.func.cls(**match.func.initkwargs)
    actions = dict(match.func.actions)
    if "get" in actions and "head" not in actions:
        actions["head"] = actions["get"]
    for method, action in actions.items():
        setattr(view, method, getattr(view, action))
    return (view.get_renderers(), view.get_content_negotiator(), view.throttle_classes, view.default_response_headers)


def _api_answer(request: HttpRequest, match: ResolverMatch) -> HttpResponse | None:
    """The cached API list the full path would serve this token's request, or None. The token
    is checked by its own authentication class (accounts.authentication: prefix, digest in
    constant time, revoked, expired, the owner active; in the database on every request), and
    the throttle counted as DRF would, once an entry is found."""
    words = request.META["HTTP_AUTHORIZATION"].split()
    if len(words) != 2 or words[0].lower() != "bearer" or not words[1].isascii():
        return None
    authentication = PersonalAccessTokenAuthentication()
    try:
        prefix = authentication.prefix_of(words[1])
        with checks_connection(router.db_for_read(User)):
            # The token and its owner's stamps in one statement, checked as the API checks it.
            found, stamps = token_and_stamps_get(prefix)
            user, token = authentication.authenticate_found(words[1], found)
    except (AuthenticationFailed, StaleConnection):
        return None
    # Every token's scope allows GET and HEAD (accounts.permissions.TokenScopeAllowsMethod).
    if settings.MFA_REQUIRED_FOR_STAFF and must_enrol_second_factor(user, roles=roles_of_stamps(stamps)):
        return None
    renderers, negotiator, throttle_classes, view_headers = _api_view(match.view_name, match)
    api_request = Request(request)
    try:
        _, media_type = negotiator.select_renderer(api_request, renderers, match.kwargs.get("format"))
    except NotAcceptable:
        return None
    request.user = user
    # The API's time zone is the default one (accounts.middleware.UserTimeZoneMiddleware).
    parts = (stamps, media_type, timezone.get_default_timezone_name())
    try:
        key = pagecache.fast_key(request, parts, layout=False)
    except DisallowedHost:
        key = None
    api_request.user, api_request.auth = user, token
    entry = _entry_counted(key, throttle_classes, api_request) if key is not None else None
    if entry is None:
        for name in ("user", "auth"):
            request.__dict__.pop(name, None)
        return None
    content_type, body, _ = entry  # an API body has no form
    response = HttpResponse(body, content_type=content_type)
    headers = dict(view_headers)
    vary = headers.pop("Vary", None)
    if vary is not None:
        patch_vary_headers(response, [value.strip() for value in vary.split(",")])
    for name, value in headers.items():
        response[name] = value
    if settings.MFA_REQUIRED_FOR_STAFF:
        # The full path's second-factor middleware asks for the session's user, so the session
        # (empty: no cookie) is accessed and SessionMiddleware adds Vary: Cookie.
        patch_vary_headers(response, ("Cookie",))
    request.resolver_match = match
    response.page_cache, response.page_cache_key, response.page_cache_path = "hit", key, "fast"
    return response


def _entry_counted(key: str, throttle_classes, api_request: Request) -> tuple[str, bytes, str] | None:
    """The entry under the fast key, with the request counted by the view's throttles as DRF
    counts it once the entry is found; None for a miss or a refusal (the full path answers the
    429, and a refused request is not counted). With Redis, when one throttle counts this
    request (a token's: the user throttle), the read and the count are one round trip."""
    throttles = [throttle_class() for throttle_class in throttle_classes]
    if pagecache.counts_with_a_read() and all(hasattr(throttle, "request_count") for throttle in throttles):
        counts = [count for count in (t.request_count(api_request, None) for t in throttles) if count is not None]
        if len(counts) == 1:
            ((count_key, limit, duration),) = counts
            entry, allowed = pagecache.fast_entry_get_and_count(key, count_key, limit=limit, duration=duration)
            return entry if allowed else None
        if not counts:
            return pagecache.fast_entry_get(key)
    entry = pagecache.fast_entry_get(key)
    if entry is None or not all(throttle.allow_request(api_request, None) for throttle in throttles):
        return None
    return entry


class SignedInPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)
        self.metrics = (
            PrometheusAfterMiddleware(get_response)
            if "django_prometheus.middleware.PrometheusAfterMiddleware" in settings.MIDDLEWARE
            else None
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = cached_signed_in_page(request)
        if isinstance(response, SessionRead):
            with read_in_this_request(response.session_key, response.data):
                return self.get_response(request)
        if response is None:
            return self.get_response(request)
        # What the skipped middleware would have added, in their order (innermost first).
        for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
            policy = default_csp(report_only=report_only)
            if policy:
                response[header] = policy
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        if "CSRF_COOKIE" in request.META:  # a page's: its token was used
            self.csrf.process_response(request, response)  # the cookie renewed, as get_token asks
            patch_vary_headers(response, ("Cookie",))  # the session was read
        response["Content-Length"] = str(len(response.content))  # as CommonMiddleware does
        if self.metrics is not None:
            self.metrics.process_request(request)
            self.metrics.process_view(request, request.resolver_match.func)
            self.metrics.process_response(request, response)
        return response
