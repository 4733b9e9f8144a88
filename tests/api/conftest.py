"""Fixtures for the API tests: tokens per person, clients that authenticate with them,
generous rate limits (the throttling tests set their own) and an empty throttle cache."""

import copy

import pytest
from django.test import Client

from cohorts.models import Membership
from tests.factories import MembershipFactory, PersonalAccessTokenFactory

ROLES = [
    "anonymous",
    "stranger",
    "student",
    "other_student",
    "peer",
    "mentor",
    "foreign_mentor",
    "instructor",
    "admin",
]


@pytest.fixture(autouse=True)
def generous_throttle(settings):
    """Rate limits high enough never to trip in a test; tests/api/test_throttling.py sets
    its own. (Counters live in the shared cache, Redis in CI, so they are not cleared
    wholesale: that would flush the Redis database others use too.)"""
    rest = copy.deepcopy(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"user": "1000000/hour", "anon": "1000000/hour"}
    settings.REST_FRAMEWORK = rest


@pytest.fixture
def token_for(db):
    def make(user, scope="read_write", **kwargs):
        return PersonalAccessTokenFactory(user=user, scope=scope, **kwargs)

    return make


@pytest.fixture
def bearer_client(token_for):
    """A client that authenticates with a fresh read-write token of `user` (None: anonymous)."""

    def make(user=None, scope="read_write") -> Client:
        if user is None:
            return Client()
        token = token_for(user, scope=scope)
        return Client(headers={"Authorization": f"Bearer {token.plaintext}"})

    return make


@pytest.fixture
def warm_client(bearer_client):
    """A token client that has already made one request, so the token's `last_used_at` is
    fresh and a measured request does not also pay for recording it (at most once a minute):
    what query budgets need to count only the endpoint's own queries."""

    def make(user):
        client = bearer_client(user)
        assert client.get("/api/v1/me/").status_code == 200  # records the token's use now
        return client

    return make


def peer_reviewer(people):
    """A student of the cohort who reviews people.student's revisions where a test assigns
    them; made on first use, so the cohorts of tests that never ask keep their size."""
    if not hasattr(people, "peer"):
        people.peer = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
    return people.peer


def person(people, role):
    if role == "anonymous":
        return None
    if role == "peer":
        return peer_reviewer(people)
    return getattr(people, role)


class InProcessWSGI:
    """The Django WSGI application for schemathesis' in-process transport, without the
    connection recycling that Django runs around each request (it would close the test's
    transaction); this is what django.test.Client does for its own requests too."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def load_api_schema():
    """The published OpenAPI document as schemathesis sees it, calling the app in-process."""
    import json

    import schemathesis
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schema = schemathesis.openapi.from_dict(document)
    schema.app = InProcessWSGI()
    return schema
