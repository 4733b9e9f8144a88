"""X-Forwarded-For is believed only from a proxy of ours: a client that reaches the web process
directly, beside its proxy, cannot pick the address the rate limits count it under."""

import copy
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from accounts.adapter import client_address
from api.throttling import AnonRateThrottle
from core.middleware import UntrustedForwardingMiddleware

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
ATTACKER = "203.0.113.9"


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = ["10.0.0.0/24", "::1/128"]
    rest = copy.deepcopy(settings.REST_FRAMEWORK)
    rest["NUM_PROXIES"] = 1
    rest["DEFAULT_THROTTLE_RATES"] = {"user": "1000/hour", "anon": "2/minute"}
    settings.REST_FRAMEWORK = rest


def _address_seen(remote_addr: str, forwarded_for: str | None) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)
    seen = {}

    def view(request):
        seen["address"] = client_address(request)
        seen["proto"] = request.META.get("HTTP_X_FORWARDED_PROTO")

    UntrustedForwardingMiddleware(view)(request)
    return seen["address"]


def test_a_trusted_proxy_names_the_client(one_proxy):
    assert _address_seen(PROXY, "198.51.100.7") == "198.51.100.7"


def test_a_direct_client_cannot_choose_its_address(one_proxy):
    assert _address_seen(ATTACKER, "198.51.100.7") == ATTACKER
    assert _address_seen(ATTACKER, None) == ATTACKER


def test_with_no_proxy_configured_the_header_is_ignored_as_before(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert _address_seen(ATTACKER, "198.51.100.7") == ATTACKER


def _forget(*idents: str) -> None:
    for ident in idents:
        cache.delete(AnonRateThrottle.cache_format % {"scope": "anon", "ident": ident})


def test_forged_forwarded_for_from_a_direct_client_does_not_reset_the_api_throttle(one_proxy):
    forged = [f"198.51.100.{n}" for n in range(1, 5)]
    _forget(ATTACKER, *forged)
    client = Client(REMOTE_ADDR=ATTACKER)
    statuses = [client.get("/api/v1/bloom-levels/", HTTP_X_FORWARDED_FOR=ip).status_code for ip in forged]
    _forget(ATTACKER, *forged)
    assert statuses == [200, 200, 429, 429]


def test_clients_behind_the_trusted_proxy_keep_their_own_allowance(one_proxy):
    clients = [f"198.51.100.{n}" for n in range(1, 5)]
    _forget(PROXY, *clients)
    proxy = Client(REMOTE_ADDR=PROXY)
    statuses = [proxy.get("/api/v1/bloom-levels/", HTTP_X_FORWARDED_FOR=ip).status_code for ip in clients]
    _forget(PROXY, *clients)
    assert statuses == [200, 200, 200, 200]


def test_a_forged_https_claim_from_a_direct_client_is_dropped(one_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_PROTO="https")
    seen = {}
    UntrustedForwardingMiddleware(lambda r: seen.setdefault("proto", r.META.get("HTTP_X_FORWARDED_PROTO")))(request)
    assert seen["proto"] is None


def test_a_bad_trusted_proxy_address_stops_start_up(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
            "SECRET_KEY": "x" * 50,
            "DEBUG": "true",
            "TRUSTED_PROXY_ADDRESSES": "10.0.0.0/8,not-an-address",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_ADDRESSES: 'not-an-address' is not an IP address or network" in result.stderr
