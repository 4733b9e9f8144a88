"""Rate limits per user and per anonymous client, answered with 429 and Retry-After."""

import copy

import pytest
from django.core.cache import cache
from django.test import Client

from api.throttling import AnonRateThrottle, UserRateThrottle

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
    cache.delete(UserRateThrottle.cache_format % {"scope": scope, "ident": ident})


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
