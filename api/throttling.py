"""Per-user and per-anonymous-client rate limits, stored in the default cache (Redis when
REDIS_URL is set, so every web process counts together). Rates come from the settings
(API_THROTTLE_USER / API_THROTTLE_ANON in the environment) and are read on each request,
so tests can change them with the `settings` fixture."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class _SettingsRate:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def wait(self):
        # DRF suggests no wait when the stored history is longer than the limit (the rate was
        # lowered, or requests raced past it); every 429 must still say when to come back.
        suggested = super().wait()
        return suggested if suggested is not None else max(1, self.duration)


class UserRateThrottle(_SettingsRate, throttling.UserRateThrottle):
    pass


class AnonRateThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass
