"""The public page's two cache entries.

- head (by slug): the few fields a request needs before anything else (pk, owner, version,
  visibility, updated_at), or a "missing" marker, so a cached page costs no query at all; each
  web process mirrors the heads it read (core.cache.LocalMirror), so it costs no round trip
  either, and a forgotten head is dropped by every process at once;
- page (by portfolio id, version and change time): the rendered HTML and its ETag. A page
  key never names two different pages, so each web process also keeps the pages it served
  in a small local LRU and asks the shared cache (Redis) only for the tiny head.

Services raise `Portfolio.version` on every visible change (a new page key) and drop the head
of every slug they touch, at once and again after commit (so a request that read the old
row during the transaction cannot leave a stale head behind). The head also expires by itself.
"""

import datetime
import functools
import hashlib
import threading
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.templatetags.static import static

from core.cache import LocalMirror, failed_within

HEAD_SECONDS = settings.PORTFOLIO_HEAD_CACHE_SECONDS
PAGE_SECONDS = settings.PORTFOLIO_PAGE_CACHE_SECONDS
MISSING = "missing"
# The shape of the cached values; change it whenever they change, so old entries are never read.
FORMAT = "v2"


def head_key(slug: str) -> str:
    # Slugs are validated on save, but the URL accepts anything: hash it to a safe key.
    return f"portfolio-head:{FORMAT}:{hashlib.sha256(slug.encode()).hexdigest()[:32]}"


def page_key(portfolio_id: int, version: int, updated_at: datetime.datetime) -> str:
    # The change time guards against a reused id (a deleted portfolio's row number).
    return f"portfolio-page:{FORMAT}:{portfolio_id}:{version}:{updated_at.timestamp():.6f}:{_assets_version()}"


@functools.lru_cache(maxsize=1)
def _assets_version() -> str:
    """The stylesheet's URL changes with each deploy that changes it (hashed file names), so
    a cached page never points at a stylesheet that is gone. A deploy starts new processes,
    so each process works it out once (it was hashed again on every request)."""
    urls = "|".join(static(name) for name in ("css/portfolio.css", "css/evidence.css"))
    return hashlib.sha256(urls.encode()).hexdigest()[:8]


class _LocalPages:
    """A bounded, thread-safe LRU of rendered pages in this process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> tuple | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def set(self, key: str, value: tuple) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


local_pages = _LocalPages(settings.PORTFOLIO_LOCAL_PAGES)


def page_get(key: str) -> tuple | None:
    value = local_pages.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            local_pages.set(key, value)
    return value


def page_set(key: str, value: tuple) -> None:
    local_pages.set(key, value)
    cache.set(key, value, PAGE_SECONDS)


def heads_are_shared() -> bool:
    """Whether heads are cached at all. A head is only safe to cache where every web process
    sees the services drop it: a shared cache (Redis). In a per-process cache (the embedded
    default, local memory) a change made through one gunicorn worker would leave the others
    serving the old head, and so a hidden portfolio, until it expired; there each request
    reads the head from the database instead (one small query). Rendered pages stay cached
    either way: their keys name the version, so they cannot go stale."""
    if not settings.PORTFOLIO_CACHE_HEADS:
        return False
    # A head this process could not delete during a Redis failure may still be in Redis.
    return not failed_within(HEAD_SECONDS)


# Every web process keeps the heads it read, and drops one the moment any process forgets it
# (core.cache.LocalMirror): a cached page then costs no round trip to Redis at all, which was
# the largest cost left in answering it.
heads = LocalMirror(seconds=HEAD_SECONDS)


def head_get(slug: str) -> dict | str | None:
    return heads.get(head_key(slug)) if heads_are_shared() else None


def head_set(slug: str, head: dict | None) -> None:
    if heads_are_shared():
        cache.set(head_key(slug), head if head is not None else MISSING, HEAD_SECONDS)


def forget_slugs(*slugs: str) -> None:
    keys = [head_key(slug) for slug in slugs if slug]
    heads.delete_many(keys)
    transaction.on_commit(lambda: heads.delete_many(keys))


def head_of(portfolio) -> dict:
    return {
        "pk": portfolio.pk,
        "user_id": portfolio.user_id,
        "version": portfolio.version,
        "visibility": portfolio.visibility,
        "updated_at": portfolio.updated_at,
    }


def last_modified(head: dict) -> int:
    updated: datetime.datetime = head["updated_at"]
    return int(updated.timestamp())
