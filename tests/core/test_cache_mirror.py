"""core.cache.LocalMirror: entries read once are answered from the process (no round trip),
and a deletion made anywhere reaches every process's copy before its next read. Two mirrors
in one test stand for two web processes: each has its own subscription, so the one that did
not delete learns of it only from Redis."""

import redis
from django.core.cache import cache

from core.cache import CLEARED, FailSoftRedisCache, LocalMirror


def _gets(url: str) -> int:
    stats = redis.Redis.from_url(url).info("commandstats")
    return stats.get("cmdstat_get", {}).get("calls", 0)


def test_an_entry_read_once_is_answered_without_asking_redis(redis_cache):
    cache.set("head", {"pk": 1})
    mirror = LocalMirror(seconds=60)
    assert mirror.get("head") == {"pk": 1}
    before = _gets(redis_cache.url)
    for _ in range(20):
        assert mirror.get("head") == {"pk": 1}
    assert _gets(redis_cache.url) == before


def test_a_deletion_in_another_process_is_seen_by_the_next_read(redis_cache):
    reader, writer = LocalMirror(seconds=60), LocalMirror(seconds=60)
    cache.set("head", "old")
    assert reader.get("head") == writer.get("head") == "old"
    writer.delete_many(["head"])
    assert reader.get("head") is None  # at once: no waiting for an expiry
    cache.set("head", "new")
    assert reader.get("head") == "new"
    assert reader.get("head") == "new"


def test_a_miss_is_not_kept(redis_cache):
    mirror = LocalMirror(seconds=60)
    assert mirror.get("absent", "default") == "default"
    cache.set("absent", "here now")
    assert mirror.get("absent") == "here now"


def test_copies_are_dropped_when_redis_goes_away(redis_cache):
    mirror = LocalMirror(seconds=60)
    cache.set("head", "before the outage")
    assert mirror.get("head") == "before the outage"
    redis_cache.stop()
    # The broken subscription means deletions may be missed: no copy is trusted any more.
    assert mirror.get("head") is None
    assert mirror._items == {}


def test_clearing_the_cache_clears_every_mirror(redis_cache):
    mirror = LocalMirror(seconds=60)
    cache.set("head", "x")
    assert mirror.get("head") == "x"
    cache.clear()
    assert mirror.get("head") is None


def test_without_redis_nothing_is_kept_in_the_process(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    mirror = LocalMirror(seconds=60)
    cache.set("head", "x")
    assert mirror.get("head") == "x"
    assert mirror._items == {}


def test_a_cache_in_another_database_of_the_server_does_not_drop_this_ones_copies(redis_cache):
    """Publish/subscribe ignores Redis database numbers: the channel names the database, so
    what another deployment (or another engineer's tests) announces leaves this one's copies."""
    mirror = LocalMirror(seconds=60)
    cache.set("head", "mine")
    assert mirror.get("head") == "mine"
    assert cache.mirror_channel().endswith(":db0")
    other = FailSoftRedisCache(redis_cache.url.replace("/0", "/1"), {})
    assert other.mirror_channel().endswith(":db1")
    # What the other database's processes send when they clear their cache or drop a key.
    other.redis_client().publish(other.mirror_channel(), CLEARED)
    other.redis_client().publish(other.mirror_channel(), cache.make_key("head"))
    before = _gets(redis_cache.url)
    assert mirror.get("head") == "mine"
    assert _gets(redis_cache.url) == before  # still answered from the copy
    # The same announcement on this database's channel is heard.
    cache.redis_client().publish(cache.mirror_channel(), cache.make_key("head"))
    assert mirror.get("head") == "mine"
    assert _gets(redis_cache.url) == before + 1
