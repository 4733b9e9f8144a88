"""The public page is what the outside world hits most: a Redis outage makes it slower, never
an error, and what a learner changes during the outage shows at once."""

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
