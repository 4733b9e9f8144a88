"""The request id: a trusted proxy's X-Request-ID is kept, anyone else's is replaced by one of
ours (core.observability.middleware), and the request's last log line carries it with the
route, the user and the time taken."""

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
    client.get("/", headers={"X-Request-ID": "chosen-by-the-client"})
    (line,) = finished_lines()
    assert UUID.fullmatch(line["request_id"])


@pytest.mark.django_db
def test_a_trusted_proxys_request_id_is_kept_and_a_malformed_one_replaced(settings, finished_lines):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.5/32"]
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    proxy.get("/", headers={"X-Request-ID": "a1b2c3d4e5f60718"})
    proxy.get("/", headers={"X-Request-ID": 'x" level="critical'})
    Client(REMOTE_ADDR="10.0.0.6").get("/", headers={"X-Request-ID": "a1b2c3d4e5f60718"})
    kept, injected, elsewhere = (line["request_id"] for line in finished_lines())
    assert kept == "a1b2c3d4e5f60718"
    assert UUID.fullmatch(injected) and UUID.fullmatch(elsewhere)


@pytest.mark.django_db
def test_the_last_line_of_a_request_names_its_route_user_and_duration(course, client_for, finished_lines):
    user = UserFactory()
    client_for(user).get(f"/courses/{course.slug}/")
    Client().get("/")
    signed_in, anonymous = finished_lines()
    assert signed_in["user_id"] == user.pk and signed_in["code"] == 200
    assert signed_in["route"] == "/courses/<slug:slug>/" and signed_in["duration_ms"] > 0
    assert "user_id" not in anonymous and anonymous["route"] == "/"
