"""The public page is what the outside world hits most: a Redis outage makes it slower, never
an error, and what a learner changes during the outage shows at once, also after Redis
comes back still holding what it held before."""

import signal

import redis
from django.core.cache import cache

from portfolios import cache as page_cache
from portfolios import services


def test_public_page_is_served_from_the_database_while_redis_is_down(redis_cache, published, client, people):
    portfolio, entries = published
    url = f"/p/{portfolio.slug}/"
    first = client.get(url)
    assert first.status_code == 200 and "Narrative for" in first.content.decode()

    redis_cache.stop()
    during = client.get(url)
    assert during.status_code == 200
    assert during.content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/p/nobody-by-that-name/").status_code == 404

    services.entry_unpublish(entry=entries[0], by=people.student)
    after = client.get(url)
    assert after.status_code == 200
    assert entries[0].narrative not in after.content.decode()


def test_after_a_redis_failure_cached_heads_are_not_trusted_until_they_would_have_expired(
    redis_cache, published, client, people, settings
):
    """A delete sent while Redis failed may be lost, leaving the old head in Redis when it
    answers again. The process that saw the failure reads heads from the database meanwhile."""
    settings.PORTFOLIO_CACHE_HEADS = True
    portfolio, entries = published
    url = f"/p/{portfolio.slug}/"
    assert entries[0].narrative in client.get(url).content.decode()  # head and page cached
    key = page_cache.head_key(portfolio.slug)
    old_head = cache.get(key)

    services.entry_unpublish(entry=entries[0], by=people.student)
    cache.set(key, old_head)  # as if the head's delete had been lost
    assert entries[0].narrative in client.get(url).content.decode()  # served stale: nothing knows

    redis_cache.process.send_signal(signal.SIGSTOP)  # Redis hangs: the next call times out
    try:
        cache.get("anything")
    finally:
        redis_cache.process.send_signal(signal.SIGCONT)
    assert redis.Redis.from_url(redis_cache.url).exists(cache.make_key(key))  # the stale head is still there

    after = client.get(url)
    assert after.status_code == 200
    assert entries[0].narrative not in after.content.decode()
