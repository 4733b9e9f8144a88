"""Redis is only a cache for pages and counters: with it gone, pages and sign-in still work.
Each test runs its own redis-server and stops it; the shared Redis is never touched."""

import time

from django.core.cache import cache
from django.urls import reverse

from core import cache as fail_soft
from tests.factories.accounts import DEFAULT_PASSWORD


def test_calls_answer_as_misses_while_redis_is_down_and_recover_when_it_is_back(redis_cache, monkeypatch):
    cache.set("greeting", "hello")
    assert cache.get("greeting") == "hello"

    redis_cache.stop()
    assert cache.get("greeting") is None
    assert cache.get("greeting", "fallback") == "fallback"
    assert cache.get_many(["greeting", "other"]) == {}
    assert cache.add("new", 1) is True  # so a lock taken with add lets the caller through
    assert cache.has_key("greeting") is False
    cache.set("greeting", "ignored")
    cache.set_many({"a": 1})
    cache.delete("greeting")
    cache.delete_many(["a"])

    # Once it has failed, the process leaves Redis alone for a while: no call waits on it.
    started = time.monotonic()
    for _ in range(200):
        assert cache.get("greeting") is None
    assert time.monotonic() - started < 0.5

    redis_cache.start()
    monkeypatch.setattr(fail_soft, "RETRY_AFTER_SECONDS", 0.0)
    cache.get("probe")  # the pause set before the change still runs out first
    time.sleep(fail_soft.RETRY_AFTER_SECONDS + 0.01)
    deadline = time.monotonic() + 10
    while cache.get("probe", "down") == "down" and time.monotonic() < deadline:
        cache.set("probe", "up")
        time.sleep(0.05)
    assert cache.get("probe") == "up"


def test_a_hanging_redis_does_not_add_its_timeout_to_every_call(redis_cache):
    redis_cache.process.send_signal(19)  # SIGSTOP: accepts connections, never answers
    try:
        started = time.monotonic()
        for _ in range(20):
            cache.get("anything")
        # One socket timeout (2 s) for the first call, none for the rest.
        assert time.monotonic() - started < 4
    finally:
        redis_cache.process.send_signal(18)  # SIGCONT


def test_sign_in_works_with_redis_down(redis_cache, people, client):
    redis_cache.stop()
    wrong = client.post(reverse("account_login"), {"login": people.student.email, "password": "not the password"})
    assert wrong.status_code == 200
    assert "not correct" in wrong.content.decode() or "incorrect" in wrong.content.decode().lower()
    right = client.post(reverse("account_login"), {"login": people.student.email, "password": DEFAULT_PASSWORD})
    assert right.status_code == 302
    assert client.session.get("_auth_user_id") == str(people.student.pk)
