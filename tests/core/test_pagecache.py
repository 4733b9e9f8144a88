"""The page cache's own rules (core/pagecache.py) and queries compiled once (core/compiled_query.py),
on plain requests: what is kept, what is only sent, and the CSRF marker."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.models import User
from cohorts.models import Membership
from cohorts.selectors import MEMBERSHIP_STAMP_FIELDS, membership_stamps
from core import pagecache
from core.compiled_query import CompiledQuery
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run() -> str:
    """A part of every key that no earlier test run used (the shared cache is not emptied)."""
    return uuid.uuid4().hex


def _request(path: str = "/somewhere/", user=None, **extra):
    request = RequestFactory().get(path, **extra)
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    return request


def _build(body: str = "<p>made</p>", status: int = 200, *, until=None, counter=None):
    def build():
        if counter is not None:
            counter.append(1)
        return HttpResponse(body, status=status), until

    return build


def test_a_kept_answer_is_served_without_building(db, run):
    user = UserFactory()
    made = []
    key = pagecache.page_key(_request(user=user), "t", run, 1, layout=False)
    first = pagecache.respond(_request(user=user), key, _build(counter=made))
    second = pagecache.respond(_request(user=user), key, _build("<p>other</p>", counter=made))
    assert (first.page_cache, second.page_cache) == ("miss", "hit")
    assert second.content == b"<p>made</p>" and len(made) == 1


def test_keys_differ_by_viewer_path_query_and_parts(db, run, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    one, two = UserFactory(), UserFactory()
    keys = {
        pagecache.page_key(_request(user=one), "t", run, 1, layout=False),
        pagecache.page_key(_request(user=two), "t", run, 1, layout=False),
        pagecache.page_key(_request("/elsewhere/", user=one), "t", run, 1, layout=False),
        pagecache.page_key(_request("/somewhere/?page=2", user=one), "t", run, 1, layout=False),
        pagecache.page_key(_request(user=one), "t", run, 2, layout=False),
        pagecache.page_key(_request(user=one, HTTP_HOST="other.example"), "t", run, 1, layout=False),
    }
    assert len(keys) == 6


@pytest.mark.parametrize("status", [201, 302, 404, 500])
def test_only_a_200_is_kept(db, run, status):
    key = pagecache.page_key(_request(), "status", run, status, layout=False)
    response = pagecache.respond(_request(), key, _build(status=status))
    assert response.page_cache == "bypass" and response.status_code == status
    assert pagecache.respond(_request(), key, _build()).page_cache == "miss"


def test_a_response_that_sets_a_cookie_is_not_kept(db, run):
    def build():
        response = HttpResponse("<p>with a cookie</p>")
        response.set_cookie("seen", "1")
        return response, None

    key = pagecache.page_key(_request(), "cookie", run, layout=False)
    assert pagecache.respond(_request(), key, build).page_cache == "bypass"


def test_a_page_that_used_a_real_csrf_token_is_not_kept(db, run):
    from django.middleware.csrf import get_token

    def build():
        return HttpResponse(f"<input value='{get_token(request)}'>"), None

    request = _request()
    key = pagecache.page_key(request, "csrf", run, layout=False)
    assert pagecache.respond(request, key, build).page_cache == "bypass"


def test_the_csrf_marker_is_replaced_by_each_requests_token(db, run):
    def build_for(request):
        def build():
            marker = request._pagecache_marker
            return HttpResponse(f"<input name='csrfmiddlewaretoken' value='{marker}'>"), None

        return build

    first, second = _request(), _request()
    key = pagecache.page_key(first, "marker", run, layout=False)
    made = pagecache.respond(first, key, build_for(first))
    kept = pagecache.respond(second, key, build_for(second))
    assert (made.page_cache, kept.page_cache) == ("miss", "hit")
    assert b"pagecache-csrf" not in made.content and b"pagecache-csrf" not in kept.content
    assert made.content != kept.content
    # Each request now has a CSRF cookie to set, as a page rendering {% csrf_token %} would.
    assert first.META["CSRF_COOKIE_NEEDS_UPDATE"] and second.META["CSRF_COOKIE_NEEDS_UPDATE"]


def test_the_csrf_token_of_a_kept_page_is_djangos_token_of_the_same_secret():
    """pagecache.csrf_token masks the request's secret as django.middleware.csrf.get_token does
    (CsrfViewMiddleware unmasks it to the same secret), with a fresh, uniform mask each time."""
    from collections import Counter

    from django.middleware.csrf import CSRF_ALLOWED_CHARS, _add_new_csrf_cookie, _unmask_cipher_token

    request = _request()
    secret = _add_new_csrf_cookie(request)
    del request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    tokens = [pagecache.csrf_token(request) for _ in range(2000)]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]  # the cookie renewed, as get_token asks
    assert all(len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS) for token in tokens)
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
    assert len(set(tokens)) == len(tokens)
    # Every character of the alphabet is drawn about equally often (64,000 draws: ~1,032 each).
    counts = Counter("".join(token[:32] for token in tokens))
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert max(counts.values()) < 1.25 * min(counts.values())


def test_a_request_without_a_csrf_secret_gets_a_new_cookie_as_with_get_token():
    from django.middleware.csrf import _unmask_cipher_token

    request = _request()
    token = pagecache.csrf_token(request)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"]
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_an_answer_due_to_change_already_is_not_kept(db, run):
    from django.utils import timezone

    key = pagecache.page_key(_request(), "past", run, layout=False)
    response = pagecache.respond(_request(), key, _build(until=timezone.now()))
    assert response.page_cache == "bypass"


def test_no_key_means_built_every_time(db):
    made = []
    for _ in range(2):
        assert pagecache.respond(_request(), None, _build(counter=made)).page_cache == "bypass"
    assert len(made) == 2


def test_query_is_accepts_only_the_named_parameters_once():
    assert pagecache.query_is(_request("/q/"), ["page"])
    assert pagecache.query_is(_request("/q/?page=2"), ["page"])
    assert not pagecache.query_is(_request("/q/?page=2&page=3"), ["page"])
    assert not pagecache.query_is(_request("/q/?other=1"), ["page"])
    assert not pagecache.query_is(_request("/q/?page=" + "9" * 700), ["page"])


def test_a_compiled_query_answers_what_the_orm_does(people):
    rows = membership_stamps(people.mentor)
    expected = list(
        Membership.objects.filter(user=people.mentor).order_by("cohort_id").values_list(*MEMBERSHIP_STAMP_FIELDS)
    )
    assert [row[:4] for row in rows] == [row[:4] for row in expected]
    assert [row[5:] for row in rows] == [row[5:] for row in expected]
    # A new membership is read at once: only the SQL is kept, never rows.
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role=Membership.Role.INSTRUCTOR)
    assert len(membership_stamps(people.mentor)) == 2


def test_a_compiled_query_must_use_its_value(db):
    query = CompiledQuery(lambda user_id: User.objects.filter(is_active=True).values("pk"))
    with pytest.raises(ValueError):
        query.rows(1)


def test_compiled_objects_are_what_the_queryset_gives(people):
    from accounts.authentication import TOKEN_BY_PREFIX
    from accounts.models import PersonalAccessToken
    from tests.factories import PersonalAccessTokenFactory

    token = PersonalAccessTokenFactory(user=people.mentor, scope="read")
    [found] = TOKEN_BY_PREFIX.objects(token.prefix)
    expected = PersonalAccessToken.objects.select_related("user").get(prefix=token.prefix)
    fields = [f.attname for f in PersonalAccessToken._meta.concrete_fields]
    assert [getattr(found, name) for name in fields] == [getattr(expected, name) for name in fields]
    user_fields = [f.attname for f in type(expected.user)._meta.concrete_fields]
    assert [getattr(found.user, name) for name in user_fields] == [getattr(expected.user, name) for name in user_fields]
    assert not found._state.adding and found._state.db == "default"
    assert TOKEN_BY_PREFIX.objects("nothing-like-it") == []


def test_the_session_store_reads_what_djangos_database_store_wrote(db):
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    from core.sessions import SessionStore

    written = DatabaseSessionStore()
    written["answer"] = 42
    written.set_expiry(300)
    written.save()
    read = SessionStore(session_key=written.session_key)
    assert read["answer"] == 42 and read.session_key == written.session_key
    expired = DatabaseSessionStore()
    expired["answer"] = 1
    expired.set_expiry(-1)
    expired.save()
    assert SessionStore(session_key=expired.session_key).load() == {}
    unknown = SessionStore(session_key="x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
