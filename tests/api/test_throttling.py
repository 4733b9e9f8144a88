"""Rate limits per user and per anonymous client, answered with 429 and Retry-After."""

import copy
import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.test import Client

from api.throttling import AnonRateThrottle, UserRateThrottle
from core.cache import RATE_WINDOW_PREFIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(user: str, anon: str) -> None:
        rest = copy.deepcopy(settings.REST_FRAMEWORK)
        rest["DEFAULT_THROTTLE_RATES"] = {"user": user, "anon": anon}
        settings.REST_FRAMEWORK = rest

    return set_rates


def _forget(scope: str, ident) -> None:
    """Counters live in the shared cache (Redis in CI) and outlive a test run."""
    key = UserRateThrottle.cache_format % {"scope": scope, "ident": ident}
    cache.delete_many([key, RATE_WINDOW_PREFIX + key])


def test_anonymous_clients_get_429_with_retry_after(rates):
    rates(user="1000/hour", anon="2/minute")
    _forget("anon", "127.0.0.1")
    client = Client()
    statuses = [client.get("/api/v1/bloom-levels/").status_code for _ in range(3)]
    response = client.get("/api/v1/bloom-levels/")
    _forget("anon", "127.0.0.1")
    assert statuses == [200, 200, 429]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "throttled"


def test_each_signed_in_person_has_their_own_allowance(rates, people, bearer_client):
    rates(user="2/minute", anon="1000/hour")
    for user in (people.student, people.mentor):
        _forget("user", user.pk)
    student, mentor = bearer_client(people.student), bearer_client(people.mentor)
    student_statuses = [student.get("/api/v1/me/").status_code for _ in range(3)]
    mentor_status = mentor.get("/api/v1/me/").status_code
    for user in (people.student, people.mentor):
        _forget("user", user.pk)
    assert student_statuses == [200, 200, 429]
    assert mentor_status == 200


def test_rates_come_from_the_settings(rates):
    rates(user="7/day", anon="3/second")
    assert UserRateThrottle().get_rate() == "7/day"
    assert AnonRateThrottle().get_rate() == "3/second"


# --- Client addresses behind proxies (TRUSTED_PROXY_COUNT) ----------------------------------


@pytest.fixture
def proxies(settings):
    def set_count(count: int) -> None:
        rest = copy.deepcopy(settings.REST_FRAMEWORK)
        rest["NUM_PROXIES"] = count
        settings.REST_FRAMEWORK = rest
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
        settings.TRUSTED_PROXY_COUNT = count

    return set_count


def test_served_directly_a_made_up_forwarded_for_does_not_reset_the_anonymous_limit(rates):
    rates(user="1000/hour", anon="2/minute")  # and TRUSTED_PROXY_COUNT as configured: 0
    _forget("anon", "127.0.0.1")
    client = Client()
    statuses = [
        client.get("/api/v1/bloom-levels/", headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(4)
    ]
    _forget("anon", "127.0.0.1")
    assert statuses == [200, 200, 429, 429]


def test_behind_one_proxy_the_address_it_appended_is_the_client(rates, proxies):
    rates(user="1000/hour", anon="2/minute")
    proxies(1)
    for address in ("203.0.113.7", "203.0.113.8"):
        _forget("anon", address)
    client = Client()
    # The client made up the left-hand entries; our proxy appended the address it saw.
    same_client = [
        client.get("/api/v1/bloom-levels/", headers={"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.7"}).status_code
        for n in range(3)
    ]
    other_client = client.get("/api/v1/bloom-levels/", headers={"X-Forwarded-For": "203.0.113.8"}).status_code
    for address in ("203.0.113.7", "203.0.113.8"):
        _forget("anon", address)
    assert same_client == [200, 200, 429]
    assert other_client == 200


def test_sign_in_rate_limits_see_the_same_client_address(rf, proxies):
    """allauth's rate limits (which guard the admin's sign-in too) key by the same address."""
    from allauth.account.adapter import get_adapter

    request = rf.get("/accounts/login/", headers={"X-Forwarded-For": "10.0.0.1, 203.0.113.7"})
    assert get_adapter().get_client_ip(request) == AnonRateThrottle().get_ident(request) == "127.0.0.1"
    proxies(1)
    assert get_adapter().get_client_ip(request) == AnonRateThrottle().get_ident(request) == "203.0.113.7"
    proxies(2)  # a chain shorter than the count: the leftmost entry, for both, and no error
    short = rf.get("/accounts/login/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert get_adapter().get_client_ip(short) == AnonRateThrottle().get_ident(short) == "203.0.113.9"


def test_sign_in_works_behind_fewer_proxies_than_trusted(client, people, proxies):
    """A request that reached the load balancer directly, not through the CDN in front of it."""
    proxies(2)
    response = client.post(
        "/accounts/login/",
        {"login": people.student.email, "password": "not the password"},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode() or "incorrect" in response.content.decode().lower()


def _settings_in_a_fresh_process(environment: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django;django.setup();from django.conf import settings as s;"
        "print(s.TRUSTED_PROXY_COUNT, s.REST_FRAMEWORK['NUM_PROXIES'], s.ALLAUTH_TRUSTED_PROXY_COUNT)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update({"DEBUG": "true", "DJANGO_SETTINGS_MODULE": "courseplatform.settings", **environment})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_one_setting_sets_the_proxy_count_everywhere():
    assert _settings_in_a_fresh_process({}).stdout.split() == ["0", "0", "0"]
    assert _settings_in_a_fresh_process({"TRUSTED_PROXY_COUNT": "2"}).stdout.split() == ["2", "2", "2"]


def test_a_malformed_proxy_count_stops_start_up():
    result = _settings_in_a_fresh_process({"TRUSTED_PROXY_COUNT": "-1"})
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT" in result.stderr


# --- Retry-After on every 429 ---------------------------------------------------------------


def test_retry_after_is_sent_when_a_lowered_limit_is_already_used_up(rates):
    """Requests counted under a higher limit, then the limit lowered below them: the answer
    is 429 and still says when to come back."""
    rates(user="1000/hour", anon="10/minute")
    _forget("anon", "127.0.0.1")
    client = Client()
    assert [client.get("/api/v1/bloom-levels/").status_code for _ in range(5)] == [200] * 5
    rates(user="1000/hour", anon="2/minute")
    response = client.get("/api/v1/bloom-levels/")
    _forget("anon", "127.0.0.1")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


# --- One round trip per request ------------------------------------------------------------


def test_a_throttled_api_request_costs_one_redis_round_trip(redis_cache, rates, people, bearer_client):
    """Counted with one script call, not DRF's read and write of the whole history."""
    rates(user="1000/hour", anon="1000/hour")
    client = bearer_client(people.student)
    client.get("/api/v1/me/")  # the token's use is recorded; the script is loaded
    monitor = redis.Redis.from_url(redis_cache.url)
    before = monitor.info("commandstats")
    assert client.get("/api/v1/me/").status_code == 200
    after = monitor.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    calls.pop("cmdstat_info", None)
    sent = {name.removeprefix("cmdstat_") for name, count in calls.items() if count}
    assert calls["cmdstat_evalsha"] == 1
    # Everything else ran inside that one script; nothing was sent on its own.
    assert sent - {"evalsha"} <= {"hget", "hincrby", "hdel", "expire"}


def test_the_window_slides_instead_of_resetting(redis_cache, rates):
    """Ten allowed a minute: ten at the end of one minute leave no fresh ten at the start of
    the next (a plain per-minute counter would allow twenty within seconds)."""
    backend = caches["default"]
    key = "throttle_test_sliding"
    cache.delete(key)
    start = (time.time() // 60 + 1) * 60 - 1  # one second before a minute ends

    def count(at: float) -> tuple[bool, int]:
        return backend._cache.count_request(backend.make_and_validate_key(key), 10, 60, at)

    assert all(count(start)[0] for _ in range(10))
    refused, wait = count(start)
    assert not refused and 1 <= wait <= 60  # never more than the period
    assert not count(start + 2)[0]  # a new minute, but the last one's ten still weigh
    assert count(start + 1 + 6.1)[0]  # a tenth of the old minute has slid out: one more
    assert count(start + 61 + 1)[0]


def test_a_read_and_a_count_in_one_round_trip_count_only_what_is_found(redis_cache):
    """FailSoftRedisCache.get_and_count_request (the API's fast answer): a miss counts nothing
    (the full path will count that request), a hit counts as count_request does."""
    backend = caches["default"]
    cache.delete_many(["page-absent", "page-present", RATE_WINDOW_PREFIX + "throttle_test_read"])
    assert backend.get_and_count_request("page-absent", "throttle_test_read", limit=1, duration=60) == (None, True, 0)
    cache.set("page-present", ("text/html", b"<p>kept</p>", ""), 60)
    found = backend.get_and_count_request("page-present", "throttle_test_read", limit=1, duration=60)
    assert found == (("text/html", b"<p>kept</p>", ""), True, 0)
    value, allowed, wait = backend.get_and_count_request("page-present", "throttle_test_read", limit=1, duration=60)
    assert value == ("text/html", b"<p>kept</p>", "") and not allowed and 1 <= wait <= 60
    assert backend.count_request("throttle_test_read", limit=1, duration=60)[0] is False  # the same window
    redis_cache.stop()
    assert backend.get_and_count_request("page-present", "throttle_test_read", limit=1, duration=60, default="x") == (
        "x",
        True,
        0,
    )


def test_with_redis_down_the_limits_fail_open(redis_cache, rates):
    """As before: a Redis outage costs the rate limits, never the API."""
    rates(user="1000/hour", anon="1/minute")
    client = Client()
    assert client.get("/api/v1/bloom-levels/").status_code == 200
    assert client.get("/api/v1/bloom-levels/").status_code == 429
    redis_cache.stop()
    assert [client.get("/api/v1/bloom-levels/").status_code for _ in range(3)] == [200, 200, 200]


def test_a_counter_left_by_the_previous_throttle_does_not_break_the_api(redis_cache, rates):
    """DRF's throttle stored a pickled list under the bare key; after a deploy over a Redis that
    still holds one, requests are counted beside it instead of failing with WRONGTYPE."""
    rates(user="1000/hour", anon="2/minute")
    _forget("anon", "127.0.0.1")
    key = AnonRateThrottle.cache_format % {"scope": "anon", "ident": "127.0.0.1"}
    cache.set(key, [time.time()] * 5, 60)
    client = Client()
    codes = [client.get("/api/v1/bloom-levels/").status_code for _ in range(3)]
    _forget("anon", "127.0.0.1")
    assert codes == [200, 200, 429]
