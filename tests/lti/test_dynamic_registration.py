"""LTI Dynamic Registration: an admin opens our registration URL from an LMS; the tool reads
the LMS's OpenID configuration, posts its own configuration with the registration token and
records the platform and deployment the LMS answers with. The LMS side here is a small stub
(the test LMS has no dynamic registration) that checks what a platform checks."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lti.models import Platform
from tests.factories import UserFactory

TOKEN = "registration-token-1"


@pytest.fixture
def registering_lms():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_port}"
            self._json(
                200,
                {
                    "issuer": base,
                    "authorization_endpoint": f"{base}/auth",
                    "token_endpoint": f"{base}/token",
                    "jwks_uri": f"{base}/jwks",
                    "registration_endpoint": f"{base}/register",
                    "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                        "product_family_code": "moodle",
                        "version": "4.5",
                    },
                },
            )

        def do_POST(self):
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._json(401, {"error": "invalid_token"})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(body)
            self._json(
                200,
                {
                    **body,
                    "client_id": "dyn-client-7",
                    "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                        **body["https://purl.imsglobal.org/spec/lti-tool-configuration"],
                        "deployment_id": "dep-42",
                    },
                },
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_port}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_an_admin_registers_an_lms_dynamically(client, db, tool_key, registering_lms):
    client.force_login(UserFactory(is_staff=True))
    query = {
        "openid_configuration": f"{registering_lms.url}/.well-known/openid-configuration",
        "registration_token": TOKEN,
    }
    page = client.get("/lti/register/", query)
    assert page.status_code == 200 and b"Register this LMS" in page.content
    assert not Platform.objects.exists()  # a GET registers nothing
    response = client.post("/lti/register/", query)
    assert response.status_code == 200, response.content[:500]
    platform = Platform.objects.get()
    assert (platform.issuer, platform.client_id, platform.name) == (registering_lms.url, "dyn-client-7", "moodle")
    assert platform.jwks_url == f"{registering_lms.url}/jwks"
    assert list(platform.deployments.values_list("deployment_id", flat=True)) == ["dep-42"]
    sent = registering_lms.received[0]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["jwks_uri"] == "http://testserver/lti/jwks.json"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in sent["scope"].split()
    assert b"LMS registered" in response.content


def test_a_wrong_registration_token_is_reported_not_a_500(client, db, tool_key, registering_lms):
    client.force_login(UserFactory(is_staff=True))
    query = {
        "openid_configuration": f"{registering_lms.url}/.well-known/openid-configuration",
        "registration_token": "x",
    }
    response = client.post("/lti/register/", query)
    assert response.status_code == 400 and b"could not be completed" in response.content
    assert not Platform.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "instructor-like user"])
def test_only_an_admin_may_register(client_for, db, who, registering_lms):
    user = UserFactory() if who != "anonymous" else None
    query = {
        "openid_configuration": f"{registering_lms.url}/.well-known/openid-configuration",
        "registration_token": TOKEN,
    }
    assert client_for(user).post("/lti/register/", query).status_code == 403
    assert client_for(user).get("/lti/register/", query).status_code == 403
    assert not Platform.objects.exists() and registering_lms.received == []


def test_without_a_configuration_url_it_is_a_bad_request(client_for, db):
    assert client_for(UserFactory(is_staff=True)).get("/lti/register/").status_code == 400
