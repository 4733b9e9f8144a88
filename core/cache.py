"""The Redis cache, made to fail soft.

Everything we keep in the cache can be recomputed (the public portfolio page and its head,
rate-limit and throttle counters), so a Redis outage must cost speed, not pages: Django's own
backend raises ConnectionError into the view, turning every cached page and every sign-in into
a 500. Here a failed call is logged and answered as a miss, and for a few seconds afterwards
the process does not try Redis at all, so a Redis that hangs rather than refuses cannot add its
socket timeout to every call of every request.

What this costs while Redis is away: rate limits and API throttles count nothing (they fail
open rather than lock everybody out). Deletes are not sent while the process leaves Redis
alone (a hung Redis would add its timeout to each: allauth's rate-limit lock deletes a key on
every sign-in, 12 s a sign-in); they are remembered and sent first thing once Redis answers
again. One that is lost may leave an entry behind until it expires, so the portfolio page
distrusts its cached heads for as long after a failure (failed_within).
"""

import logging
import os
import threading
import time
import weakref
from collections import OrderedDict

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.retry import Retry

logger = logging.getLogger(__name__)

# How long a process leaves Redis alone after a failed call.
RETRY_AFTER_SECONDS = 5.0

_MISS = object()
# What each client call answers while Redis is unreachable: what it would for a missing key,
# except `add`, which says it stored the value: locks built on it (allauth's rate-limit lock)
# then let the request through instead of refusing every sign-in until Redis is back.
_ANSWER_WHEN_DOWN = {
    "add": True,
    "get": _MISS,  # the caller's default
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "set_many": None,
    "delete_many": None,
    "clear": False,
    "count_request": (True, 0),  # rate limits fail open
    "get_and_count_request": (_MISS, True, 0),
}
_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_DELETES = {"delete", "delete_many"}
# Deletes held back while Redis is left alone, at most this many (the oldest are dropped:
# their entries expire on their own, and failed_within() covers the ones that must not be stale).
MAX_HELD_DELETES = 10_000
# When this process last failed to reach Redis (time.monotonic()); see failed_within().
_last_failure = float("-inf")


def failed_within(seconds: float) -> bool:
    """Whether this process failed to reach the cache in the last `seconds`: a delete it made
    then may have been lost, so entries that must never be stale (the portfolio page's heads)
    are not trusted until they would have expired anyway."""
    return time.monotonic() - _last_failure < seconds


class _FailSoftClient:
    def __init__(self, client) -> None:
        self._client = client
        self._skip_until = 0.0
        self._held_deletes: dict[str, None] = {}  # an ordered set of keys

    def __getattr__(self, name: str):
        method = getattr(self._client, name)
        if name not in _ANSWER_WHEN_DOWN:
            return method

        def call(*args, **kwargs):
            if time.monotonic() < self._skip_until:
                if name in _DELETES:
                    self._hold_deletes(name, args, kwargs)
                return self._answer(name, args, kwargs)
            try:
                if self._held_deletes:
                    self._send_held_deletes()
                return method(*args, **kwargs)
            except _UNREACHABLE as exc:
                self._failed(exc)
                if name in _DELETES:
                    self._hold_deletes(name, args, kwargs)
                return self._answer(name, args, kwargs)

        return call

    def _failed(self, exc: Exception) -> None:
        global _last_failure
        self._skip_until = _last_failure = time.monotonic()
        self._skip_until += RETRY_AFTER_SECONDS
        logger.warning("Cache unavailable (%s: %s); serving without it", exc.__class__.__name__, exc)

    def _hold_deletes(self, name: str, args: tuple, kwargs: dict) -> None:
        keys = [args[0] if args else kwargs["key"]] if name == "delete" else list(args[0] if args else kwargs["keys"])
        for key in keys:
            self._held_deletes.pop(key, None)
            self._held_deletes[key] = None
        while len(self._held_deletes) > MAX_HELD_DELETES:
            del self._held_deletes[next(iter(self._held_deletes))]

    def _send_held_deletes(self) -> None:
        keys = list(self._held_deletes)
        self._client.delete_many(keys)  # raises when Redis is still away: they stay held
        for key in keys:
            self._held_deletes.pop(key, None)

    @staticmethod
    def _answer(name: str, args: tuple, kwargs: dict):
        answer = _ANSWER_WHEN_DOWN[name]
        if answer is _MISS:
            return kwargs.get("default", args[1] if len(args) > 1 else None)
        return dict(answer) if isinstance(answer, dict) else answer


# One redis-py client (and so one connection pool) per server and options in each process,
# shared by every thread's cache backend. Django builds a new `redis.Redis` object on every
# cache call, which cost 42 % of reading the public page's cached head; the client is
# thread-safe (each command borrows a connection from the pool), and redis-py's pool starts
# afresh in a forked child, so sharing it across threads and gunicorn's forks is safe.
_clients: dict[tuple, tuple[redis.Redis, Script, Script]] = {}
_clients_lock = threading.Lock()

# The counting hashes live under their own names: DRF's throttle kept a pickled list under the
# bare key, and a deploy over a Redis that still holds one would otherwise meet WRONGTYPE.
RATE_WINDOW_PREFIX = "rate-window:"

# A rate limit in one round trip: counts per fixed window in one hash (field = window number),
# the limit checked against the sliding estimate "previous window × the part of it still in
# range + this window". A request over the limit is not counted, and gets the seconds until one
# would be allowed. (DRF's throttle kept a list of every request's time, read and written back
# whole: two round trips and up to 2,000 pickled floats per API request.)
_COUNT_FUNCTION = """
local function count(key, now, duration, limit)
  local window = math.floor(now / duration)
  local elapsed = (now - window * duration) / duration
  local current = tonumber(redis.call('HGET', key, tostring(window)) or 0)
  local previous = tonumber(redis.call('HGET', key, tostring(window - 1)) or 0)
  if previous * (1 - elapsed) + current + 1 <= limit then
    redis.call('HINCRBY', key, tostring(window), 1)
    redis.call('HDEL', key, tostring(window - 2))
    redis.call('EXPIRE', key, duration * 2)
    return 1, 0
  end
  local wait
  if current + 1 <= limit then
    wait = (1 - (limit - current - 1) / previous - elapsed) * duration
  else
    wait = (1 - elapsed + 1 - (limit - 1) / current) * duration
  end
  -- The estimate can ask for up to one and a half periods; never more than one is promised (by
  -- then every request counted now has left a true sliding window), as DRF's throttle did.
  return 0, math.ceil(math.min(wait, duration))
end
"""
_COUNT_REQUEST = (
    _COUNT_FUNCTION
    + """
local allowed, wait = count(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
return {allowed, wait}
"""
)
# A cached answer and the request counted, in one round trip: the value under KEYS[1] and, only
# when there is one, the request counted under KEYS[2] (the API's fast answer: a throttle counts
# only a request it answers; a miss goes down the full path, which counts it there).
_GET_AND_COUNT_REQUEST = (
    _COUNT_FUNCTION
    + """
local value = redis.call('GET', KEYS[1])
if not value then
  return {0}
end
local allowed, wait = count(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
return {1, allowed, wait, value}
"""
)


class _SharedClientCacheClient(RedisCacheClient):
    def _client_and_scripts(self, write: bool) -> tuple[redis.Redis, Script, Script]:
        server = self._servers[self._get_connection_pool_index(write)]
        identity = (server, repr(sorted(self._pool_options.items())))
        found = _clients.get(identity)
        if found is None:
            with _clients_lock:
                found = _clients.get(identity)
                if found is None:
                    client = self._client(connection_pool=self._pool_class.from_url(server, **self._pool_options))
                    found = _clients[identity] = (
                        client,
                        client.register_script(_COUNT_REQUEST),
                        client.register_script(_GET_AND_COUNT_REQUEST),
                    )
        return found

    def get_client(self, key=None, *, write=False):
        return self._client_and_scripts(write)[0]

    def count_request(self, key: str, limit: int, duration: int, now: float) -> tuple[bool, int]:
        client, script, _ = self._client_and_scripts(write=True)
        allowed, wait = script(keys=[key], args=[repr(now), duration, limit], client=client)
        return bool(allowed), int(wait)

    def get_and_count_request(
        self, key: str, count_key: str, limit: int, duration: int, now: float
    ) -> tuple[object, bool, int]:
        client, _, script = self._client_and_scripts(write=True)
        found = script(keys=[key, count_key], args=[repr(now), duration, limit], client=client)
        if not found[0]:
            return _MISS, True, 0
        _, allowed, wait, value = found
        return self._serializer.loads(value), bool(allowed), int(wait)


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClientCacheClient

    @cached_property
    def _cache(self):
        return _FailSoftClient(self._class(self._servers, **self._options))

    def clear(self) -> bool:
        """Also empties every process's LocalMirror (tests clear the cache between tests)."""
        cleared = self._cache.clear()
        for mirror in list(_mirrors):
            mirror.clear()
        try:
            self.redis_client().publish(self.mirror_channel(), CLEARED)
        except _UNREACHABLE:
            pass
        return cleared

    def mirror_channel(self) -> str:
        """Where this cache's LocalMirror deletions are announced. Redis publish/subscribe ignores
        the database number, so the channel names it: two caches in different databases of one
        server (staging beside production, or each engineer's database on a shared machine,
        whose tests clear their cache between tests) would otherwise drop each other's copies."""
        db = self.redis_client().connection_pool.connection_kwargs.get("db", 0)
        return f"{self.make_key(MIRROR_CHANNEL)}:db{db}"

    def redis_client(self) -> redis.Redis:
        """This process's shared client (publish/subscribe for LocalMirror); raises when Redis
        is unreachable, as it is not fail-soft."""
        return self._cache._client.get_client(write=True)

    def count_request(self, key: str, *, limit: int, duration: int) -> tuple[bool, int]:
        """Count one request against `limit` per `duration` seconds (a sliding window) in one
        round trip: (allowed, seconds to wait when not). Allowed while Redis is unreachable."""
        window_key = self.make_and_validate_key(RATE_WINDOW_PREFIX + key)
        return self._cache.count_request(window_key, limit, duration, time.time())

    def get_and_count_request(
        self, key: str, count_key: str, *, limit: int, duration: int, default=None
    ) -> tuple[object, bool, int]:
        """`get(key, default)` and, only when the key holds a value, one request counted under
        `count_key` as `count_request` counts it, in one round trip: (value, allowed, seconds to
        wait when not). While Redis is unreachable: a miss, nothing counted."""
        value, allowed, wait = self._cache.get_and_count_request(
            self.make_and_validate_key(key),
            self.make_and_validate_key(RATE_WINDOW_PREFIX + count_key),
            limit,
            duration,
            time.time(),
        )
        return (default if value is _MISS else value), allowed, wait


# --- Entries mirrored in the process, dropped by every process when one deletes them ----------

# Where deletions of mirrored entries are announced (the cache's own key prefix is added), and
# the message that says the whole cache was cleared.
MIRROR_CHANNEL = "mirror-invalidations"
CLEARED = b"\x00cleared"
_mirrors: "weakref.WeakSet[LocalMirror]" = weakref.WeakSet()


class LocalMirror:
    """A few small entries of the shared cache also kept in this process, so that reading one
    costs no round trip, yet never outlives its deletion by another process.

    Each process subscribes to one Redis channel; `delete_many` deletes the keys in Redis and
    publishes them on it. Before answering from its copy, a process reads whatever deletions
    have arrived on its subscription (a non-blocking check of one socket: no round trip, no work
    for Redis). Redis sends a published message to its subscribers before it answers the
    publisher, so a deletion that has returned in one process is seen by the next read in any
    other on the same network. A copy is kept only while the subscription is known to be up and
    only if no deletion arrived while it was being read from Redis; when the subscription breaks
    (Redis restarted or away), every copy is dropped and none is used until it is back. Copies
    also expire after `seconds` (a deletion lost in a network partition is bounded by that).

    Used for what must never be stale but is read on every request: the public portfolio page's
    head (portfolios/cache.py). Without Redis (local memory, the embedded default) it keeps
    nothing and every read goes to the cache."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds = seconds
        self.size = size
        self._items: OrderedDict[str, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()
        self._pid = None
        self._pubsub = None
        self._source = None  # the cache subscribed to: its servers and key prefix
        self._retry_at = 0.0
        self.generation = 0  # raised by every deletion received and every lost subscription
        _mirrors.add(self)

    def _backend(self):
        from django.core.cache import DEFAULT_CACHE_ALIAS, caches

        backend = caches[DEFAULT_CACHE_ALIAS]
        return backend if isinstance(backend, FailSoftRedisCache) else None

    def _channel(self, backend) -> str:
        return backend.mirror_channel()

    def _live(self, backend) -> bool:
        """Subscribed in this process (a forked child subscribes afresh); called with the lock."""
        # Django keeps a backend object per thread: the server and prefix say which cache it is.
        source = (tuple(backend._servers), backend.key_prefix)
        if self._pubsub is not None and self._pid == os.getpid() and self._source == source:
            return True
        if self._source != source:  # another cache configured (tests change settings)
            self._retry_at = 0.0
            if self._pubsub is not None:
                self._drop_subscription()
        if time.monotonic() < self._retry_at:
            return False
        self._items.clear()
        self._pubsub, self._pid, self._source = None, os.getpid(), source
        try:
            pubsub = backend.redis_client().pubsub()
            pubsub.subscribe(self._channel(backend))
            # redis-py would reconnect and subscribe again by itself after a broken connection,
            # silently, and the deletions sent meanwhile would be lost: a failure must reach us.
            pubsub.connection.retry = Retry(NoBackoff(), 0)
            # Copies are trusted only once Redis has confirmed the subscription.
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                message = pubsub.get_message(timeout=0.5)
                if message is not None and message["type"] == "subscribe":
                    self._pubsub = pubsub
                    return True
            pubsub.close()
        except _UNREACHABLE + (OSError,) as exc:
            logger.warning("Cache mirror not subscribed (%s: %s); reading the cache", exc.__class__.__name__, exc)
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
        return False

    def _drain(self) -> bool:
        """Apply the deletions that have arrived; False (and nothing kept) when the subscription
        broke. Called with the lock."""
        try:
            while self._pubsub.connection.can_read(timeout=0):
                message = self._pubsub.get_message(timeout=0)
                if message is None:
                    break
                if message["type"] == "subscribe":  # subscribed again: deletions may have been missed
                    self.generation += 1
                    self._items.clear()
                elif message["type"] == "message":
                    self.generation += 1
                    if message["data"] == CLEARED:
                        self._items.clear()
                    for key in message["data"].decode().split("\n"):
                        self._items.pop(key, None)
            return True
        except (*_UNREACHABLE, OSError, AttributeError) as exc:
            logger.warning("Cache mirror lost its subscription (%s: %s)", exc.__class__.__name__, exc)
            self._drop_subscription()
            return False

    def _drop_subscription(self) -> None:
        self.generation += 1
        self._items.clear()
        try:
            self._pubsub.close()
        except (redis.exceptions.RedisError, OSError, AttributeError):
            pass  # a subscription that broke may fail to close too; it is thrown away either way
        self._pubsub = None
        self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS

    def get(self, key: str, default=None):
        """The value of `key` (a key before the backend's prefixing, as for cache.get): this
        process's copy when it has one, else the cache's, kept for next time."""
        backend = self._backend()
        if backend is None:
            from django.core.cache import cache

            return cache.get(key, default)
        full_key = backend.make_key(key)
        with self._lock:
            if self._live(backend) and self._drain():
                found = self._items.get(full_key)
                if found is not None and found[0] > time.monotonic():
                    return found[1]
            generation = self.generation
        value = backend.get(key, _MISS)
        if value is _MISS:
            return default
        with self._lock:
            # Kept only if no deletion arrived (and the subscription held) while Redis answered.
            if self._pubsub is not None and self._drain() and self.generation == generation:
                self._items[full_key] = (time.monotonic() + self.seconds, value)
                self._items.move_to_end(full_key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return value

    def delete_many(self, keys: list[str]) -> None:
        """Delete in the cache and in every process's mirror."""
        from django.core.cache import cache

        cache.delete_many(keys)
        backend = self._backend()
        if backend is None or not keys:
            return
        full_keys = [backend.make_key(key) for key in keys]
        with self._lock:
            for full_key in full_keys:
                self._items.pop(full_key, None)
        try:
            backend.redis_client().publish(self._channel(backend), "\n".join(full_keys))
        except _UNREACHABLE as exc:
            # The other processes' subscriptions are broken too, or will be: they drop their copies.
            logger.warning("Cache mirror could not announce a deletion (%s: %s)", exc.__class__.__name__, exc)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
