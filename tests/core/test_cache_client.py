"""The cache talks to Redis through one redis-py client per process: Django's backend built a
new client object on every call (42 % of reading the public page's cached head)."""

import threading

import redis
from django.core.cache import cache, caches


def _backend_and_client_in_a_new_thread():
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append((caches["default"], caches["default"]._cache.get_client(write=True)))
    )
    thread.start()
    thread.join(timeout=10)
    return seen[0]


def test_every_call_and_every_thread_uses_the_same_redis_client(redis_cache):
    here = cache._cache.get_client(write=True)
    assert isinstance(here, redis.Redis)
    assert cache._cache.get_client(write=False) is here
    other_backend, other_client = _backend_and_client_in_a_new_thread()
    assert other_backend is not caches["default"]  # Django keeps a backend object per thread…
    assert other_client is here  # …and they share one client


def test_the_shared_client_reuses_its_connection(redis_cache):
    before = redis.Redis.from_url(redis_cache.url).info("stats")["total_connections_received"]
    for number in range(200):
        cache.set(f"k{number}", number)
        assert cache.get(f"k{number}") == number
    after = redis.Redis.from_url(redis_cache.url).info("stats")["total_connections_received"]
    # One connection of the shared pool, and the one this test opened to ask.
    assert after - before <= 2


def test_a_cache_on_another_server_gets_its_own_client(redis_cache, redis_server, settings):
    first = cache._cache.get_client(write=True)
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FailSoftRedisCache",
            "LOCATION": redis_server.url.replace("/0", "/1"),
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    second = cache._cache.get_client(write=True)
    assert second is not first
    cache.set("where", "db1")
    assert redis.Redis.from_url(redis_server.url.replace("/0", "/1")).exists(cache.make_key("where"))
