"""Cache backends that time every call (courseplatform_cache_operation_seconds) and count
hits and misses. Settings name these instead of the plain backends."""

import time

from django.core.cache.backends.locmem import LocMemCache

from core.cache import FailSoftRedisCache

from .metrics import CACHE_GETS, CACHE_OPERATION_DURATION

_MISSING = object()
# get_or_set is left out: it calls get and add, which are timed themselves.
_TIMED = ("set", "add", "delete", "get_many", "set_many", "delete_many", "incr", "touch", "has_key", "clear")


class _TimedCalls:
    def get(self, key, default=None, version=None):
        started = time.perf_counter()
        value = super().get(key, _MISSING, version)
        CACHE_OPERATION_DURATION.labels("get").observe(time.perf_counter() - started)
        CACHE_GETS.labels("miss" if value is _MISSING else "hit").inc()
        return default if value is _MISSING else value


def _timed(name: str):
    def call(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return getattr(super(_TimedCalls, self), name)(*args, **kwargs)
        finally:
            CACHE_OPERATION_DURATION.labels(name).observe(time.perf_counter() - started)

    call.__name__ = name
    return call


for _name in _TIMED:
    setattr(_TimedCalls, _name, _timed(_name))


class InstrumentedFailSoftRedisCache(_TimedCalls, FailSoftRedisCache):
    """core.cache.FailSoftRedisCache, timed."""

    def get_and_count_request(self, key, count_key, *, limit, duration, default=None):
        started = time.perf_counter()
        value, allowed, wait = super().get_and_count_request(
            key, count_key, limit=limit, duration=duration, default=_MISSING
        )
        CACHE_OPERATION_DURATION.labels("get_and_count_request").observe(time.perf_counter() - started)
        CACHE_GETS.labels("miss" if value is _MISSING else "hit").inc()
        return (default if value is _MISSING else value), allowed, wait


class InstrumentedLocMemCache(_TimedCalls, LocMemCache):
    """Django's local-memory cache (the embedded default), timed."""
