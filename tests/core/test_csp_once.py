"""The Content-Security-Policy is built from the settings once per process
(core.middleware.CSPMiddleware), not twice per response as django-csp did; a response with a
policy of its own (a decorator) still gets django-csp's own handling."""

import copy

import pytest
from csp import middleware as django_csp_middleware
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from core import middleware

pytestmark = pytest.mark.django_db


def test_pages_carry_the_policy_of_the_settings(client):
    response = client.get("/")
    assert response["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Content-Security-Policy-Report-Only" not in response


def test_the_policy_is_built_once(client, monkeypatch):
    client.get("/")
    calls = []
    for module in (middleware, django_csp_middleware):
        monkeypatch.setattr(module, "build_policy", lambda **kwargs: calls.append(kwargs) or "")
    for _ in range(3):
        assert "script-src 'self'" in client.get("/")["Content-Security-Policy"]
    assert calls == []


def test_a_changed_setting_is_picked_up(client, settings):
    client.get("/")
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = ["'self'", "https://images.example.com"]
    settings.CONTENT_SECURITY_POLICY = policy
    assert "https://images.example.com" in client.get("/")["Content-Security-Policy"]


def _through_both(view):
    request = RequestFactory().get("/somewhere/")
    ours, theirs = middleware.CSPMiddleware(view), DjangoCSPMiddleware(view)
    return ours(request), theirs(RequestFactory().get("/somewhere/"))


def test_a_view_with_its_own_policy_gets_exactly_what_django_csp_gives_it():
    @csp_update({"img-src": "https://images.example.com"})
    def view(request):
        return HttpResponse("ok")

    ours, theirs = _through_both(view)
    assert "https://images.example.com" in ours["Content-Security-Policy"]
    assert ours["Content-Security-Policy"] == theirs["Content-Security-Policy"]
