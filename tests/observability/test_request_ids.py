"""The request id: a trusted proxy's X-Request-ID is kept, anyone else's is replaced by one of
ours (core.observability.middleware); either way the response says which it was, and the
request's last log line carries it with the route, the user and the time taken."""

import re

import pytest
import structlog
from django.test import Client

from tests.factories import UserFactory

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def finished_lines():
    """The request_finished events django-structlog logs, as structlog hands them over."""
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as captured:
        yield lambda: [line for line in captured if line["event"] == "request_finished"]


@pytest.mark.django_db
def test_a_client_cannot_choose_its_request_id_when_served_directly(settings, client, finished_lines):
    settings.TRUSTED_PROXY_COUNT = 0
    response = client.get("/", headers={"X-Request-ID": "chosen-by-the-client"})
    assert UUID.fullmatch(response.headers["X-Request-ID"])
    assert [line["request_id"] for line in finished_lines()] == [response.headers["X-Request-ID"]]


@pytest.mark.django_db
def test_a_trusted_proxys_request_id_is_kept_and_a_malformed_one_replaced(settings, finished_lines):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.5/32"]
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    assert proxy.get("/", headers={"X-Request-ID": "a1b2c3d4e5f60718"}).headers["X-Request-ID"] == "a1b2c3d4e5f60718"
    injected = proxy.get("/", headers={"X-Request-ID": 'x" level="critical'}).headers["X-Request-ID"]
    assert UUID.fullmatch(injected)
    elsewhere = Client(REMOTE_ADDR="10.0.0.6").get("/", headers={"X-Request-ID": "a1b2c3d4e5f60718"})
    assert UUID.fullmatch(elsewhere.headers["X-Request-ID"])
    assert [line["request_id"] for line in finished_lines()] == [
        "a1b2c3d4e5f60718",
        injected,
        elsewhere.headers["X-Request-ID"],
    ]


@pytest.mark.django_db
def test_the_last_line_of_a_request_names_its_route_user_and_duration(course, client_for, finished_lines):
    user = UserFactory()
    client_for(user).get(f"/courses/{course.slug}/")
    Client().get("/")
    signed_in, anonymous = finished_lines()
    assert signed_in["user_id"] == user.pk and signed_in["code"] == 200
    assert signed_in["route"] == "/courses/<slug:slug>/" and signed_in["duration_ms"] > 0
    assert "user_id" not in anonymous and anonymous["route"] == "/"
