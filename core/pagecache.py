"""Whole responses of signed-in pages and API lists, kept in the shared cache and served with
almost no work until something they show can have changed.

A signed-in page costs far more to make than to send: the review queue of a mentor made 25
rows through the ORM and a template of some thousand nodes (20 ms of CPU) to show what
changes a few times a day. Here the finished body is kept under a key made of everything
that decides it, so a repeat answers with one cache read:

- the viewer (their id), the host, scheme and full path with the query string (links in a
  body are built from them), and, for pages in the site's layout, the viewer's time zone and
  what the layout shows about them (`register_layout_part`: the navigation's roles and unread
  count, their name);
- versions that the owning services bump in the same transaction as the change (for example
  `Cohort.grades_version`, read for all the viewer's cohorts in one query), passed by the view
  as `parts`. A change commits a new version, so the next request asks for a new key: nothing is
  ever deleted, and no process can serve a page made before a change it has seen committed;
- the moment the body would change by itself (a "waiting 3 h" turning into "4 h", a review
  deadline passing), given by the view when it builds the body, and at most MAX_SECONDS (the
  bound on the few changes that reach a page without any version: a person renaming themselves,
  a week's title edited in the admin).

What must differ per request is never stored. The CSRF token of a form is rendered as a random
marker (`render` passes it as the template's `csrf_token`) and each answer, hit or miss,
carries this request's own token in its place; a body that used a real token (or a CSP nonce),
set a cookie or answered anything but 200 is sent but not kept. A request with flash messages
waiting is answered without the cache (the layout shows them once). Only query strings that a
view accepts as they are may be cached (`query_is`), so made-up parameters cannot fill the
cache.

Redis down: the fail-soft cache answers every read as a miss (core/cache.py), so pages are made
as if there were no cache. Without Redis (the embedded default) the local-memory cache of each
process holds the entries; the keys are the same, so versions keep them right there too.

A page may also be answered before the middleware stack (courseplatform/fast_path.py): with
`fast`, `respond` keeps the entry under a second key (`fast_key`) as well, made only of what
that path reads cheaply: the viewer's user row (every field but the password), the URL, the
layout's parts and `fast` (the viewer's membership stamps, read before anything the page's own
key is made of). A view passes `fast` only if its own key and body are decided by those alone,
so that the fast path finds exactly the entry the full path would serve, or nothing.

See docs/performance.md ("Cached pages", "Signed-in pages before the middleware") for the pages
that use it and how each is invalidated.
"""

import datetime
import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.shortcuts import render as django_render
from django.utils import timezone

# The longest an entry lives (seconds), whatever its versions say.
MAX_SECONDS = 300
# v2: an entry carries the instant it expires (its alias under the fast key lives no longer).
KEY_PREFIX = "pagecache:v2"
MAX_QUERY_LENGTH = 600

_layout_parts: list[Callable[[HttpRequest], object]] = []


def register_layout_part(part: Callable[[HttpRequest], object]) -> Callable[[HttpRequest], object]:
    """Declare something the site's layout shows about the viewer (a function of the request,
    answering a value with a stable repr): it becomes part of the key of every cached page in
    the layout. Registered by the app that owns the layout (courseplatform), which plumbing may
    not import."""
    if part not in _layout_parts:
        _layout_parts.append(part)
    return part


def query_is(request: HttpRequest, names: Iterable[str]) -> bool:
    """Whether the query string holds only these names, each at most once, and is short: only
    such a page is worth a cache entry (anything else is made every time)."""
    allowed = frozenset(names)
    params = request.GET
    return len(request.META.get("QUERY_STRING", "")) <= MAX_QUERY_LENGTH and all(
        name in allowed and len(params.getlist(name)) == 1 for name in params
    )


def page_key(request: HttpRequest, namespace: str, *parts: object, layout: bool = True) -> str:
    """The key of this request's answer: `parts` are the versions (and any other values) that
    decide the body besides the viewer and the URL; with `layout`, the viewer's time zone and
    what the layout shows about them too (omit it for API responses)."""
    viewer = getattr(request.user, "pk", None)
    shown: list[object] = [request.scheme, request.get_host(), request.get_full_path(), viewer, parts]
    if layout:
        shown.append(timezone.get_current_timezone_name())
        shown.extend(part(request) for part in _layout_parts)
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:40]
    return f"{KEY_PREFIX}:{namespace}:{viewer}:{digest}"


def render(request: HttpRequest, template_name: str, context: dict, **kwargs) -> HttpResponse:
    """django.shortcuts.render for a page built by `respond`: its forms' CSRF token is the
    marker that each answer replaces with the request's own token."""
    marker = getattr(request, "_pagecache_marker", None)
    if marker is not None:
        context = {**context, "csrf_token": marker}
    return django_render(request, template_name, context, **kwargs)


def fast_key(request: HttpRequest, parts: object, *, layout: bool = True) -> str:
    """The second key of an entry kept with `fast` (see the module's docstring): what the fast
    path can read before the middleware stack, for the same viewer and URL. The full path
    computes it with the values it made its own key from; the fast path with the same functions
    over the rows it read itself."""
    user = request.user
    fields = (field.attname for field in user._meta.concrete_fields if field.attname != "password")
    row = tuple((name, getattr(user, name)) for name in fields)
    shown: list[object] = [request.scheme, request.get_host(), request.get_full_path(), row, parts]
    if layout:
        shown.extend(part(request) for part in _layout_parts)
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:40]
    return f"{KEY_PREFIX}:fast:{user.pk}:{digest}"


def fast_entry_get(key: str) -> tuple[str, bytes, str] | None:
    """(content type, body, CSRF marker) kept under a fast key, if any."""
    return _fast_entry(cache.get(key))


def _fast_entry(entry: object) -> tuple[str, bytes, str] | None:
    return entry[:3] if isinstance(entry, tuple) else None


def counts_with_a_read() -> bool:
    """Whether the cache can read an entry and count a request in one round trip (Redis)."""
    return hasattr(cache, "get_and_count_request")


def fast_entry_get_and_count(
    key: str, count_key: str, *, limit: int, duration: int
) -> tuple[tuple[str, bytes, str] | None, bool]:
    """`fast_entry_get(key)` and, only when there is an entry, one request counted under
    `count_key` (a throttle's: FailSoftRedisCache.count_request), in one round trip: (the
    entry or None, whether the request is allowed)."""
    entry, allowed, _ = cache.get_and_count_request(key, count_key, limit=limit, duration=duration)
    return _fast_entry(entry), allowed


def with_csrf_token(body: bytes, marker: str, request: HttpRequest) -> bytes:
    """The body with this request's own masked CSRF token in place of the marker."""
    return body.replace(marker.encode(), csrf_token(request).encode()) if marker else body


_CSRF_POSITION = {char: position for position, char in enumerate(CSRF_ALLOWED_CHARS)}
# Random bytes below this, taken modulo the alphabet's size, give each character equally often.
_CSRF_UNBIASED_BELOW = 256 - 256 % len(CSRF_ALLOWED_CHARS)


def csrf_token(request: HttpRequest) -> str:
    """What django.middleware.csrf.get_token answers (the request's secret, masked afresh, and
    the cookie marked for renewal), with the mask drawn from one read of the OS's randomness
    instead of 32 calls of `secrets.choice`: on a cached page that was a fifth of the CPU left
    once the middleware was skipped. The same alphabet, length, uniform mask and cipher
    (CsrfViewMiddleware unmasks it as it unmasks its own); a request without a secret yet is
    Django's own case."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH or not _CSRF_POSITION.keys() >= set(secret):
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    size = len(CSRF_ALLOWED_CHARS)
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask.extend(byte % size for byte in os.urandom(CSRF_SECRET_LENGTH) if byte < _CSRF_UNBIASED_BELOW)
    mask = mask[:CSRF_SECRET_LENGTH]
    chars = CSRF_ALLOWED_CHARS
    cipher = (chars[(_CSRF_POSITION[char] + shift) % size] for char, shift in zip(secret, mask, strict=True))
    return "".join(chars[shift] for shift in mask) + "".join(cipher)


BuildResult = tuple[HttpResponse, datetime.datetime | None]


def respond(
    request: HttpRequest,
    key: str | None,
    build: Callable[[], BuildResult],
    *,
    fast: object = None,
    fast_layout: bool = True,
) -> HttpResponse:
    """The answer kept under `key`, or `build()`'s, kept for next time. `build` returns the
    response (made with `render` when it holds a form) and the moment its body would change
    by itself, or None. With `key` None (a page not to cache) it is simply built.

    With `fast` (the parts of `fast_key`: only for a view whose key and body they decide; with
    `fast_layout` False for a response outside the layout, an API's), a kept or served entry is
    also kept under its fast key, as long as it has left to live.

    The response says what happened in `page_cache`: "hit", "miss" (built and kept), or
    "bypass" (built, not kept); and its key in `page_cache_key`."""
    if key is None or request.method not in ("GET", "HEAD") or _has_messages(request):
        response, _ = build()
        response.page_cache = "bypass"
        return response
    entry = cache.get(key)
    if isinstance(entry, tuple):
        content_type, body, marker, expires_at = entry
        if fast is not None:
            seconds = int(expires_at - time.time())
            if seconds > 0:
                cache.set(fast_key(request, fast, layout=fast_layout), entry, timeout=seconds)
        response = HttpResponse(with_csrf_token(body, marker, request), content_type=content_type)
        response.page_cache, response.page_cache_key = "hit", key
        return response

    marker = request._pagecache_marker = f"pagecache-csrf-{secrets.token_hex(16)}"
    token_used_before = request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
    try:
        response, until = build()
    finally:
        del request._pagecache_marker
    keep = (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not token_used_before
        # A real CSRF token or a CSP nonce in the body belongs to this request alone.
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE", False)
        and getattr(request, "_csp_nonce", None) is None
    )
    seconds = MAX_SECONDS
    if until is not None:
        seconds = min(seconds, int((until - timezone.now()).total_seconds()))
    if response.streaming:
        response.page_cache = "bypass"
        return response
    body = response.content
    uses_marker = marker.encode() in body
    if keep and seconds > 0:
        entry = (response["Content-Type"], body, marker if uses_marker else "", time.time() + seconds)
        kept = {key: entry}
        if fast is not None:
            kept[fast_key(request, fast, layout=fast_layout)] = entry
        cache.set_many(kept, timeout=seconds)
        response.page_cache, response.page_cache_key = "miss", key
    else:
        response.page_cache = "bypass"
    if uses_marker:
        response.content = body.replace(marker.encode(), csrf_token(request).encode())
    return response


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0
