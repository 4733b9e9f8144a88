"""Per-user and per-anonymous-client rate limits, stored in the default cache (Redis when
REDIS_URL is set, so every web process counts together). Rates come from the settings
(API_THROTTLE_USER / API_THROTTLE_ANON in the environment) and are read on each request,
so tests can change them with the `settings` fixture.

With Redis, a request is counted in one round trip (core.cache.FailSoftRedisCache.
count_request: a sliding window over two fixed windows, checked and counted in one script);
DRF's own throttle read and wrote back a list of every request's time, two round trips and up
to 2,000 pickled floats per request. Other caches (local memory, the embedded default) keep
DRF's."""

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework import throttling
from rest_framework.settings import api_settings

from core.cache import FailSoftRedisCache


class _SettingsRate:
    retry_after: int | None = None

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        backend = caches[DEFAULT_CACHE_ALIAS]
        if self.rate is None or not isinstance(backend, FailSoftRedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        allowed, self.retry_after = backend.count_request(self.key, limit=self.num_requests, duration=self.duration)
        return allowed

    def request_count(self, request, view) -> tuple[str, int, int] | None:
        """What allow_request would count for this request with the Redis cache: (its key, the
        limit, the period in seconds), or None when it would count nothing (no rate set, or a
        request this throttle does not cover). For a caller that reads and counts in one round
        trip (FailSoftRedisCache.get_and_count_request)."""
        if self.rate is None:
            return None
        self.key = self.get_cache_key(request, view)
        return None if self.key is None else (self.key, self.num_requests, self.duration)

    def wait(self):
        if self.retry_after is not None:
            return max(1, self.retry_after)
        # DRF suggests no wait when the stored history is longer than the limit (the rate was
        # lowered, or requests raced past it); every 429 must still say when to come back.
        suggested = super().wait()
        return suggested if suggested is not None else max(1, self.duration)


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass
