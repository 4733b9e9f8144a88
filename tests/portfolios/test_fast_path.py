"""The cached public page is answered for signed-out visitors before the session, auth and CSP
middleware (portfolios.middleware.PublicPageMiddleware), with the same headers as the full
path, invalidated with the same cache entries, and never for a signed-in visitor.

Whether a response came from the fast path shows on its request: the authentication
middleware never ran, so the request has no `user`."""

import pytest
from django.conf import settings as django_settings

from portfolios import services
from portfolios.models import Portfolio

URL = "/p/sam-student/"


@pytest.fixture(autouse=True)
def shared_heads(settings):
    settings.PORTFOLIO_CACHE_HEADS = True  # as with Redis, where the fast path runs


def fast(response) -> bool:
    return not hasattr(response.wsgi_request, "user")


def full_path_client(client_for):
    """A signed-out visitor who carries a session cookie (an expired session, say): the fast
    path leaves them to the full stack, which treats them as anonymous."""
    client = client_for(None)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "no-such-session"
    return client


def _set_visibility(portfolio, visibility):
    services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name=portfolio.display_name, visibility=visibility
    )


def test_a_cached_page_is_served_before_the_session_with_the_full_paths_headers(client_for, published):
    visitor = client_for(None)
    first = visitor.get(URL)  # renders and caches the page
    assert first.status_code == 200 and not fast(first)
    again = visitor.get(URL)
    assert again.status_code == 200 and fast(again)
    full = full_path_client(client_for).get(URL)
    assert full.status_code == 200 and not fast(full)
    assert again.content == first.content == full.content
    assert sorted(again.items()) == sorted(first.items()) == sorted(full.items())
    assert again["Content-Security-Policy"].count("script-src 'self'") == 1
    assert again["Vary"] == "Cookie" and again["X-Frame-Options"] == "DENY"


def test_conditional_requests_get_the_same_304_on_both_paths(client_for, published):
    visitor = client_for(None)
    etag = visitor.get(URL)["ETag"]
    modified = visitor.get(URL)["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        quick = visitor.get(URL, headers=headers)
        full = full_path_client(client_for).get(URL, headers=headers)
        assert quick.status_code == full.status_code == 304
        assert fast(quick) and not fast(full)
        assert sorted(quick.items()) == sorted(full.items())


def test_head_requests_take_the_fast_path_too(client_for, published):
    visitor = client_for(None)
    visitor.get(URL)
    response = visitor.head(URL)
    assert response.status_code == 200 and fast(response)
    assert response.content == b""
    assert int(response["Content-Length"]) > 1000


def test_unlisted_pages_keep_their_noindex_header(client_for, published):
    portfolio, _ = published
    _set_visibility(portfolio, Portfolio.Visibility.UNLISTED)
    visitor = client_for(None)
    visitor.get(URL)
    response = visitor.get(URL)
    assert fast(response) and response["X-Robots-Tag"] == "noindex"


def test_unpublishing_and_publishing_show_on_the_next_fast_response(client_for, people, published, accepted):
    _, entries = published
    visitor = client_for(None)
    visitor.get(URL)
    services.entry_unpublish(entry=entries[1], by=people.student)
    after_unpublish = visitor.get(URL)  # the new version is rendered once by the full path
    assert entries[1].title not in after_unpublish.content.decode()
    again = visitor.get(URL)
    assert fast(again) and entries[1].title not in again.content.decode()

    work = accepted(week=5)
    services.entry_publish(work=work, by=people.student, narrative="Fresh entry", artifact_ids=[])
    assert "Fresh entry" in visitor.get(URL).content.decode()
    again = visitor.get(URL)
    assert fast(again) and "Fresh entry" in again.content.decode()


def test_a_portfolio_made_private_is_never_served_from_the_fast_path(client_for, published):
    portfolio, _ = published
    visitor = client_for(None)
    visitor.get(URL)
    assert fast(visitor.get(URL))
    _set_visibility(portfolio, Portfolio.Visibility.PRIVATE)
    for _ in range(2):
        response = visitor.get(URL)
        assert response.status_code == 404 and not fast(response)


def test_signed_in_visitors_always_take_the_full_path(client_for, people, published):
    portfolio, _ = published
    client_for(None).get(URL)
    owner = client_for(people.student)
    response = owner.get(URL)
    assert response.status_code == 200 and response.wsgi_request.user == people.student
    _set_visibility(portfolio, Portfolio.Visibility.PRIVATE)
    private = owner.get(URL)  # the owner still sees it; a visitor gets 404
    assert private.status_code == 200 and private["Cache-Control"] == "private, no-store"
    assert client_for(None).get(URL).status_code == 404


def test_writes_and_other_paths_are_never_answered_by_the_fast_path(client_for, published):
    visitor = client_for(None)
    visitor.get(URL)
    assert visitor.post(URL).status_code == 405
    assert not fast(visitor.get("/p/sam-student/artifacts/1/"))
    assert not fast(visitor.get("/p/sam-student"))  # the full path redirects to the slash


def test_with_redis_down_the_full_path_serves_the_page(redis_cache, client_for, published):
    visitor = client_for(None)
    first = visitor.get(URL)
    assert fast(visitor.get(URL))
    redis_cache.stop()
    during = visitor.get(URL)
    assert during.status_code == 200 and not fast(during)
    assert during.content == first.content


def test_a_page_from_the_fast_path_is_counted_per_view_in_the_metrics(client_for, published):
    """The public page is the one the key-pages SLO watches most: answered before the
    middleware, it must still reach the per-view request, response and latency series."""
    from prometheus_client import REGISTRY

    labels = {"view": "portfolios:public", "method": "GET"}

    def sample(name: str, **extra) -> float:
        return REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0

    client = client_for(None)
    client.get(URL)  # the full path fills the cache
    before = (
        sample("django_http_responses_total_by_status_view_method_total", status="200"),
        sample("django_http_requests_latency_seconds_by_view_method_count"),
        sample("django_http_requests_total_by_view_transport_method_total", transport="http"),
    )
    response = client.get(URL)
    assert fast(response) and response.status_code == 200
    after = (
        sample("django_http_responses_total_by_status_view_method_total", status="200"),
        sample("django_http_requests_latency_seconds_by_view_method_count"),
        sample("django_http_requests_total_by_view_transport_method_total", transport="http"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1.0, 1.0, 1.0]


def _redis_gets(url: str) -> int:
    import redis

    return redis.Redis.from_url(url).info("commandstats").get("cmdstat_get", {}).get("calls", 0)


def test_with_redis_a_cached_hit_costs_no_query_and_no_round_trip(
    redis_cache, client_for, published, django_assert_num_queries
):
    """The production shape (Redis): the head is mirrored in the process and the page kept in
    its local LRU, so a repeat costs neither a query nor a Redis GET. (Without Redis the head is
    read from the database: one query per request, the bench figure of a run without REDIS_URL.)"""
    visitor = client_for(None)
    first = visitor.get(URL)  # the full path renders and caches
    visitor.get(URL)  # the fast path reads the head from Redis once and mirrors it
    gets = _redis_gets(redis_cache.url)
    with django_assert_num_queries(0):
        for _ in range(5):
            again = visitor.get(URL)
            assert again.status_code == 200 and fast(again) and again.content == first.content
    assert _redis_gets(redis_cache.url) == gets


def test_with_redis_a_head_dropped_by_another_process_is_seen_by_the_next_request(redis_cache, client_for, published):
    """Another web process changes the portfolio and drops its head (through its own mirror,
    so this process hears of it only on its Redis subscription): the next request here must not
    answer from the mirrored copy."""
    from core.cache import LocalMirror
    from portfolios import cache as page_cache

    portfolio, _ = published
    visitor = client_for(None)
    visitor.get(URL)
    assert fast(visitor.get(URL))
    Portfolio.objects.filter(pk=portfolio.pk).update(visibility=Portfolio.Visibility.PRIVATE)
    # Until the deletion is announced, the mirrored head still says "public".
    assert fast(visitor.get(URL))
    another_process = LocalMirror(seconds=60)
    another_process.delete_many([page_cache.head_key(portfolio.slug)])
    response = visitor.get(URL)
    assert response.status_code == 404 and not fast(response)
