"""deploy/haproxy.cfg as committed (only its addresses replaced by free ports) in front of two
real gunicorn instances: health checks, round-robin, and passive failover when an instance
is SIGKILLed: the request that meets the refused connection is sent to the other instance,
and that one refusal takes the dead instance out without waiting for a health check."""

import subprocess
import urllib.error
import urllib.request

import pytest

from tests.workers import SharedDatabase

from .web_instances import HAPROXY, HAPROXY_CONFIG, routed_once_logged, web_cluster

pytestmark = pytest.mark.django_db(transaction=True)


def _status(url: str, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_the_committed_configuration_is_valid():
    result = subprocess.run([HAPROXY, "-c", "-f", str(HAPROXY_CONFIG)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout


def test_a_killed_instance_is_bypassed_without_a_single_failed_request(tmp_path):
    database = SharedDatabase()
    database.share()
    with web_cluster(database_url=database.url, media_root=tmp_path / "media") as (proxy, instances):
        for _ in range(4):
            assert _status(f"{proxy.url}/readyz") == 200
        requests = routed_once_logged(proxy, request="GET /readyz", count=4)
        assert [server for server, _ in requests[-4:]] in (["web1", "web2"] * 2, ["web2", "web1"] * 2)

        # Round-robin sends the next request to the instance that did not serve the last one.
        victim = "web2" if requests[-1][0] == "web1" else "web1"
        survivor = "web1" if victim == "web2" else "web2"
        instances[victim].kill()
        # A POST too: it never reached the dead instance, so sending it again is safe. The
        # survivor's answer is Django's (403: no CSRF token), not the proxy's 502/503.
        assert _status(f"{proxy.url}/accounts/login/", data=b"login=a%40example.com&password=x") == 403
        routed_once_logged(proxy, request="POST /accounts/login/", count=1)
        log = proxy.output().splitlines()
        [at] = [number for number, line in enumerate(log) if '"POST /accounts/login/ ' in line]
        assert f" web/{survivor} " in log[at]
        # On a busy machine the active health check may notice the dead instance first (two
        # failed checks half a second apart); otherwise the POST met the refused connection
        # and was redispatched ("+1"), and that one error took the instance out.
        taken_out_by_a_check = f"Server web/{victim} is DOWN, reason: Layer4"
        if not any(taken_out_by_a_check in line for line in log[:at]):
            assert "/+1 " in log[at], f"the request was not redispatched: {log[at]}"
            assert f"Server web/{victim} is DOWN, reason: Health analyze" in proxy.output()
        for _ in range(4):
            assert _status(f"{proxy.url}/readyz") == 200
        requests = routed_once_logged(proxy, request="GET /readyz", count=8)
        assert {server for server, _ in requests[-4:]} == {survivor}
