"""Start the test LMS (tests/lti/lms_server.py) as its own process on a free localhost port,
and talk to it: its control surface, and the browser's part of a launch done with urllib.

    with running_lms(tool=tool_urls(live_server.url), contexts=…, users=…) as lms:
        answer = lms.launch(client, user="u-1", context="course-1", link="rl-1")
        lms.state()["scores"]

`launch` plays the browser: it follows the LMS's redirect to the tool's login initiation,
the tool's redirect back to the LMS's authorization endpoint, and posts the form the LMS
answers with (the signed id_token) to the tool's launch URL, with a Django test client or
any client with the same get/post interface. Nothing is signed by the test itself.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

SCRIPT = Path(__file__).with_name("lms_server.py")
ROOT = SCRIPT.parents[2]
CLIENT_ID = "courseplatform-tool"
DEPLOYMENT_ID = "deployment-1"

INSTRUCTOR = "instructor"
LEARNER = "learner"
MENTOR = "mentor"
TA = "ta"


def person(name: str, email: str) -> dict:
    given, _, family = name.partition(" ")
    return {"name": name, "email": email, "given_name": given, "family_name": family}


@dataclass
class TestLMS:
    url: str
    process: subprocess.Popen

    __test__ = False  # not a pytest test class

    @property
    def issuer(self) -> str:
        return self.url

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def lineitems_url(self, context: str) -> str:
        return f"{self.url}/contexts/{context}/lineitems"

    def memberships_url(self, context: str) -> str:
        return f"{self.url}/contexts/{context}/memberships"

    def launch_url(self, *, user: str, context: str, link: str | None = None, deep_link: bool = False) -> str:
        query = {"user": user, "context": context}
        if deep_link:
            query["deep_link"] = "1"
        else:
            query["link"] = link
        return f"{self.url}/launch?{urlencode(query)}"

    # --- control surface ----------------------------------------------------------------

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/control/state", timeout=10) as answer:
            return json.load(answer)

    def fail_next(self, route: str, *, status: int = 500, times: int = 1) -> None:
        """The next `times` requests to `route` (scores, lineitems, lineitem, memberships,
        results, token) answer `status` before doing anything."""
        self._post("/control/fail", {"route": route, "status": status, "times": times})

    def delay_next(self, route: str, *, seconds: float, times: int = 1) -> None:
        """The next `times` requests to `route` wait `seconds`, then are handled as usual."""
        self._post("/control/delay", {"route": route, "seconds": seconds, "times": times})

    def add_member(self, *, context: str, user: str, roles: list[str], name: str = "", email: str = "") -> None:
        body = {"context": context, "user": user, "roles": roles}
        if name:
            body.update(person(name, email))
        self._post("/control/members", body)

    def remove_member(self, *, context: str, user: str) -> None:
        self._post("/control/members/remove", {"context": context, "user": user})

    def scores(self, *, applied_only: bool = True) -> list[dict]:
        return [s for s in self.state()["scores"] if s["applied"] or not applied_only]

    def lineitems(self, context: str | None = None) -> list[dict]:
        return [i for i in self.state()["lineitems"] if context is None or i["context"] == context]

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            f"{self.url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    # --- the browser's part of a launch ---------------------------------------------------

    def launch(self, client, *, user: str, context: str, link: str | None = None, deep_link: bool = False):
        """Run the OIDC third-party login and launch through `client` (the tool side) and
        this LMS (over HTTP); returns the tool's answer to the id_token POST."""
        first = _get_no_redirect(self.launch_url(user=user, context=context, link=link, deep_link=deep_link))
        assert first.status == 302, f"the LMS did not start a login: {first.status} {first.body[:500]}"
        login = first.headers["Location"]
        answer = _tool_request(client, "get", login)
        assert answer.status_code in (302, 303), f"the tool's login initiation answered {answer.status_code}"
        authorize = answer["Location"]
        assert authorize.startswith(self.auth_url), f"the tool sent the browser to {authorize}"
        form_page = _get_no_redirect(authorize)
        assert form_page.status == 200, f"the LMS refused the authorization request: {form_page.body[:500]}"
        action, fields = parse_form(form_page.body)
        return _tool_request(client, "post", action, fields)

    def post_form(self, action: str, fields: dict):
        """POST a form to the LMS (a deep-linking response the tool rendered)."""
        data = urlencode(fields).encode()
        request = urllib.request.Request(action, data=data)
        try:
            with urllib.request.urlopen(request, timeout=15) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@dataclass
class _Answer:
    status: int
    headers: dict
    body: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get_no_redirect(url: str) -> _Answer:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(url, timeout=15) as answer:
            return _Answer(answer.status, dict(answer.headers), answer.read().decode())
    except urllib.error.HTTPError as error:
        return _Answer(error.code, dict(error.headers), error.read().decode())


def _tool_request(client, method: str, url: str, data: dict | None = None):
    """A Django test client takes a path and query; a live server URL works with it too."""
    parts = urlsplit(url)
    path = parts.path
    if method == "get":
        return client.get(path, dict(parse_qsl(parts.query)))
    return client.post(path + (f"?{parts.query}" if parts.query else ""), data or {})


def parse_form(page: str) -> tuple[str, dict]:
    """The action and hidden fields of the first form on a page (an auto-submitting one)."""
    form = re.search(r"<form[^>]*action=\"([^\"]+)\"[^>]*>(.*?)</form>", page, re.S | re.I)
    assert form, f"no form on the page: {page[:500]}"
    fields = {
        unescape(name): unescape(value)
        for name, value in re.findall(r"<input[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", form.group(2), re.I)
    }
    return unescape(form.group(1)), fields


def tool_urls(base_url: str, *, prefix: str = "/lti") -> dict:
    """The tool's registration at the LMS, for a tool served at `base_url`."""
    return {
        "client_id": CLIENT_ID,
        "deployment_id": DEPLOYMENT_ID,
        "login_url": f"{base_url}{prefix}/login/",
        "launch_url": f"{base_url}{prefix}/launch/",
        "deep_link_url": f"{base_url}{prefix}/launch/",
        "jwks_url": f"{base_url}{prefix}/jwks.json",
    }


def _forget_access_tokens() -> None:
    """A new LMS has issued no access token yet, but the tool's shared cache may still hold one
    that an earlier LMS on the same address issued (free ports get reused, and the test Redis
    outlives a run), and the tool would present it to an LMS that never issued it. So
    each LMS starts with the tool holding none of its tokens, as with a real, long-lived LMS."""
    from django.core.cache import cache

    redis_client = getattr(cache, "redis_client", None)
    if redis_client is None:
        cache.clear()  # local memory: this process's own cache
        return
    client = redis_client()
    for key in client.scan_iter(match=f"*{cache.make_key('lti:token:')}*"):
        client.delete(key)


@contextmanager
def running_lms(*, tool: dict, users: dict | None = None, contexts: dict | None = None, resource_links=None):
    """Start the LMS; yields a TestLMS once its JWKS answers.

    users: {id: person(name, email)}; contexts: {id: {"title", "label", "members": {user:
    [role, …]}}} with roles as INSTRUCTOR, LEARNER, MENTOR, TA or full LIS URIs;
    resource_links: [{"id", "context", "title", "url"?, "custom"?}]."""
    config = {
        "port": 0,
        "tool": tool,
        "users": users or {},
        "contexts": contexts or {},
        "resource_links": resource_links or [],
    }
    environment = {"PATH": os.environ["PATH"], "LMS_CONFIG": json.dumps(config), "PYTHONUNBUFFERED": "1"}
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT)], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("listening "):
            process.wait(timeout=10)
            log.seek(0)
            raise AssertionError(f"the test LMS did not start: {line}{log.read()}")
        lms = TestLMS(url=line.split()[1], process=process)
        with urllib.request.urlopen(lms.jwks_url, timeout=10) as answer:
            assert json.load(answer)["keys"], "the test LMS serves no keys"
        _forget_access_tokens()
        yield lms
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
