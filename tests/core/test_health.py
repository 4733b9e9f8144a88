import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_dependencies(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_redis_when_configured(client, settings):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert body["checks"]["redis"] == "ok"
    else:
        assert "redis" not in body["checks"]


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_is_503_naming_redis_when_it_is_unreachable(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["failed"] == ["redis"]
    assert body["checks"]["redis"].startswith("error:")
    assert body["checks"]["database"] == "ok"


def test_readyz_is_503_naming_the_database_when_it_fails(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise ConnectionError("database down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database" in response.json()["failed"]


def test_probes_are_not_cached(client):
    assert "no-cache" in client.get("/healthz")["Cache-Control"]
    assert "no-cache" in client.get("/readyz")["Cache-Control"]


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("student", "/dashboard/"),
        ("mentor", "/review/"),
        ("instructor", "/review/"),
        ("stranger", "/cohorts/"),
        ("admin", "/"),
    ],
)
def test_people_land_on_their_own_starting_point_after_sign_in(role, target, people, client_for):
    response = client_for(getattr(people, role)).get("/start/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_sign_in_redirects_through_the_starting_point(people, client):
    from tests.factories import DEFAULT_PASSWORD

    response = client.post("/accounts/login/", {"login": people.student.email, "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/start/"
