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
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.commands.core import Script

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
_clients: dict[tuple, tuple[redis.Redis, Script]] = {}
_clients_lock = threading.Lock()

# The counting hashes live under their own names: DRF's throttle kept a pickled list under the
# bare key, and a deploy over a Redis that still holds one would otherwise meet WRONGTYPE.
RATE_WINDOW_PREFIX = "rate-window:"

# A rate limit in one round trip: counts per fixed window in one hash (field = window number),
# the limit checked against the sliding estimate "previous window × the part of it still in
# range + this window". A request over the limit is not counted, and gets the seconds until one
# would be allowed. (DRF's throttle kept a list of every request's time, read and written back
# whole: two round trips and up to 2,000 pickled floats per API request.)
_COUNT_REQUEST = """
local now, duration, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window = math.floor(now / duration)
local elapsed = (now - window * duration) / duration
local current = tonumber(redis.call('HGET', KEYS[1], tostring(window)) or 0)
local previous = tonumber(redis.call('HGET', KEYS[1], tostring(window - 1)) or 0)
if previous * (1 - elapsed) + current + 1 <= limit then
  redis.call('HINCRBY', KEYS[1], tostring(window), 1)
  redis.call('HDEL', KEYS[1], tostring(window - 2))
  redis.call('EXPIRE', KEYS[1], duration * 2)
  return {1, 0}
end
local wait
if current + 1 <= limit then
  wait = (1 - (limit - current - 1) / previous - elapsed) * duration
else
  wait = (1 - elapsed + 1 - (limit - 1) / current) * duration
end
-- The estimate can ask for up to one and a half periods; never more than one is promised (by
-- then every request counted now has left a true sliding window), as DRF's throttle did.
return {0, math.ceil(math.min(wait, duration))}
"""


class _SharedClientCacheClient(RedisCacheClient):
    def _client_and_script(self, write: bool) -> tuple[redis.Redis, Script]:
        server = self._servers[self._get_connection_pool_index(write)]
        identity = (server, repr(sorted(self._pool_options.items())))
        found = _clients.get(identity)
        if found is None:
            with _clients_lock:
                found = _clients.get(identity)
                if found is None:
                    client = self._client(connection_pool=self._pool_class.from_url(server, **self._pool_options))
                    found = _clients[identity] = (client, client.register_script(_COUNT_REQUEST))
        return found

    def get_client(self, key=None, *, write=False):
        return self._client_and_script(write)[0]

    def count_request(self, key: str, limit: int, duration: int, now: float) -> tuple[bool, int]:
        client, script = self._client_and_script(write=True)
        allowed, wait = script(keys=[key], args=[repr(now), duration, limit], client=client)
        return bool(allowed), int(wait)


class FailSoftRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _SharedClientCacheClient

    @cached_property
    def _cache(self):
        return _FailSoftClient(self._class(self._servers, **self._options))

    def count_request(self, key: str, *, limit: int, duration: int) -> tuple[bool, int]:
        """Count one request against `limit` per `duration` seconds (a sliding window) in one
        round trip: (allowed, seconds to wait when not). Allowed while Redis is unreachable."""
        window_key = self.make_and_validate_key(RATE_WINDOW_PREFIX + key)
        return self._cache.count_request(window_key, limit, duration, time.time())
