"""Cached signed-in pages answered before the middleware stack (courseplatform/fast_path.py):
the same answer as the full path, for the same viewer only, and never once the database says
the stack would refuse them (signed out, session gone or expired, password changed, account
deactivated, second factor owed), whatever Redis went through meanwhile. The same for the API's
works list with a personal access token (revoked, expired, its owner deactivated; the throttle
counted once, the media type negotiated as DRF does).

Whether an answer came from the fast path shows on the response (`page_cache_path`)."""

import contextlib
import re
import signal

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.messages import constants
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from cohorts.services import membership_remove
from core.sessions import SessionStore
from courseplatform import fast_path
from lti.framing import FRAME_ORIGIN_SESSION_KEY
from tests.rubrics.conftest import submit

pytestmark = pytest.mark.django_db

QUEUE = reverse("rubrics:queue")
FAST_MIDDLEWARE = "courseplatform.fast_path.SignedInPageMiddleware"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


def fast(response) -> bool:
    return getattr(response, "page_cache_path", None) == "fast"


def mastery_url(people) -> str:
    return reverse("progress:mastery", args=[people.cohort.slug, people.student.pk])


def grid_url(people, kind: str = "gradebook", query: str = "") -> str:
    return reverse(f"insights:{kind}", args=[people.cohort.slug]) + query


def cohort_url(people, query: str = "") -> str:
    return reverse("cohorts:detail", args=[people.cohort.slug]) + query


def at_risk_url(people, query: str = "") -> str:
    return reverse("insights:at_risk", args=[people.cohort.slug]) + query


# Each page answered before the middleware, with who sees it: (viewer, URL) by name.
FAST_PAGE_CASES = {
    "cohort page, instructor": lambda people: (people.instructor, cohort_url(people)),
    "cohort page, mentor, students found": lambda people: (people.mentor, cohort_url(people, "?role=student&q=a")),
    "cohort page, student": lambda people: (people.student, cohort_url(people)),
    "at-risk list, instructor": lambda people: (people.instructor, at_risk_url(people)),
    "at-risk list, mentor, page 1": lambda people: (people.mentor, at_risk_url(people, "?page=1")),
    "queue": lambda people: (people.mentor, QUEUE),
    "mastery": lambda people: (people.student, mastery_url(people)),
    "gradebook, instructor": lambda people: (people.instructor, grid_url(people)),
    "gradebook by total, mentor": lambda people: (people.mentor, grid_url(people, query="?sort=total&dir=desc")),
    "heatmap, instructor": lambda people: (people.instructor, grid_url(people, "heatmap")),
}


def warmed(client_for, user, url: str) -> Client:
    """A signed-in browser whose next request of `url` is answered by the fast path: the first
    answer made and kept the page and set the CSRF cookie."""
    client = client_for(user)
    first = client.get(url)
    assert first.status_code == 200 and not fast(first) and first.page_cache in ("miss", "hit")
    assert django_settings.CSRF_COOKIE_NAME in client.cookies
    again = client.get(url)
    assert again.status_code == 200 and fast(again)
    return client


@contextlib.contextmanager
def cache_reads():
    """The keys the shared cache is asked for inside the block, in order."""
    reads = []
    real_get = cache.get

    def counting_get(key, *args, **kwargs):
        reads.append(key)
        return real_get(key, *args, **kwargs)

    cache.get = counting_get
    try:
        yield reads
    finally:
        del cache.get


def without_csrf(body: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body)


def csrf_token(body: bytes) -> str:
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()


def headers(response) -> dict:
    """Every header, and every cookie with its attributes but the moment it expires (the
    renewed CSRF cookie's expiry is a second apart when two answers are)."""
    cookies = {
        name: {k: v for k, v in morsel.items() if k not in ("expires",)} | {"value": morsel.value}
        for name, morsel in response.cookies.items()
    }
    return {"headers": sorted(response.items()), "cookies": cookies}


@pytest.fixture
def full_path_client(settings):
    """A browser with the same cookies as `client`, served by the stack without the fast path."""

    def make(client: Client) -> Client:
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != FAST_MIDDLEWARE]
        other = Client()
        other.cookies = client.cookies
        return other

    return make


@pytest.fixture
def queue_client(people, client_for):
    submit(people.student, people.cohort)
    return warmed(client_for, people.mentor, QUEUE)


@pytest.mark.parametrize("page", FAST_PAGE_CASES)
def test_the_fast_answer_is_the_full_paths_answer(page, people, scored, client_for, settings, full_path_client):
    user, url = FAST_PAGE_CASES[page](people)
    client = warmed(client_for, user, url)
    quick = client.get(url)
    assert fast(quick)
    assert "Vary" in quick and "Content-Security-Policy" in quick and "X-Frame-Options" in quick
    full = full_path_client(client).get(url)
    assert not fast(full) and full.page_cache == "hit"
    assert quick.status_code == full.status_code == 200
    assert without_csrf(quick.content) == without_csrf(full.content)
    assert headers(quick) == headers(full)
    # Both carry a token of the browser's own CSRF secret, masked afresh for each answer.
    assert csrf_token(quick.content) != csrf_token(full.content)
    head = client.head(url)
    assert fast(head) and head.content == b"" and head["Content-Length"] == quick["Content-Length"]


def test_the_token_in_a_fast_answer_is_good_for_a_post(people, client_for):
    submit(people.student, people.cohort)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.mentor)
    client.get(QUEUE)
    page = client.get(QUEUE)
    assert fast(page)
    signed_out = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": csrf_token(page.content)})
    assert signed_out.status_code == 302 and not Session.objects.exists()


def test_a_fast_answer_costs_one_query(queue_client, django_assert_num_queries):
    # 1: the session row with the user, the viewer's cohorts and their versions (membership
    # stamps) and the unread count, in one statement (courseplatform/viewer.py), for the user
    # this process saw in that session before; then one cache read.
    with django_assert_num_queries(1):
        assert fast(queue_client.get(QUEUE))


def test_a_session_this_process_has_not_seen_costs_two_queries(queue_client, django_assert_num_queries):
    fast_path._sessions_seen.clear()  # as in another gunicorn worker, or after a restart
    # 2: the session; then the user with their stamps and unread count (one statement).
    with django_assert_num_queries(2):
        assert fast(queue_client.get(QUEUE))
    with django_assert_num_queries(1):
        assert fast(queue_client.get(QUEUE))


def test_a_session_row_changed_for_the_same_user_is_read_again_and_still_fast(queue_client):
    row = Session.objects.get()
    store = SessionStore(row.session_key)
    data = store.load()
    store.update({**data, "seen_banner": True})
    store.save()
    assert Session.objects.get().session_data != row.session_data
    response = queue_client.get(QUEUE)
    assert fast(response) and response.status_code == 200 and "/review/revisions/" in response.content.decode()


def test_a_session_row_rewritten_for_another_user_is_theirs_never_the_previous_users(queue_client, people):
    """The same session key whose row now names someone else (as if the student signed in on
    that browser without a new key): what was read with it for the mentor is not used."""
    row = Session.objects.get()
    store = SessionStore(row.session_key)
    data = store.load()
    store.update(
        {
            **data,
            SESSION_KEY: str(people.other_student.pk),
            HASH_SESSION_KEY: people.other_student.get_session_auth_hash(),
        }
    )
    store.save()
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.status_code == 302  # a student has no review queue


def test_a_learners_own_mastery_page_costs_one_query(people, scored, client_for, django_assert_num_queries):
    learner = warmed(client_for, people.student, mastery_url(people))
    with django_assert_num_queries(1):  # the same one: no cohort, student or mentor scores' row
        assert fast(learner.get(mastery_url(people)))


@pytest.mark.parametrize("kind", ["gradebook", "heatmap"])
def test_with_redis_a_gradebook_page_costs_one_query_and_one_cache_read(
    kind,
    redis_cache,
    people,
    scored,
    client_for,
    django_assert_num_queries,
):
    client = warmed(client_for, people.instructor, grid_url(people, kind))
    # The same query as the queue's; the cache: the page alone. The LMS panel's version comes
    # from this process's copy of it (lti.selectors.panel_versions).
    with django_assert_num_queries(1), cache_reads() as reads:
        assert fast(client.get(grid_url(people, kind)))
    assert [key.split(":")[0] for key in reads] == ["pagecache"]


def test_without_a_shared_cache_the_panel_version_is_read_on_every_request(
    settings,
    people,
    scored,
    client_for,
    django_assert_num_queries,
):
    # Local memory (the embedded default): no other process to hear from, nothing mirrored.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = warmed(client_for, people.instructor, grid_url(people))
    with django_assert_num_queries(1), cache_reads() as reads:
        assert fast(client.get(grid_url(people)))
    assert [key.split(":")[0] for key in reads] == ["lti", "pagecache"]


def test_with_redis_an_lms_panel_change_in_another_process_is_seen_by_the_next_request(
    redis_cache,
    people,
    scored,
    client_for,
):
    """Another web process records a grade sync and drops the panel's version through its own
    mirror: this process hears of it only on its Redis subscription, and must not answer from
    its copy."""
    from core.cache import LocalMirror
    from lti.selectors import grades_panel_version_key

    client = warmed(client_for, people.instructor, grid_url(people))
    assert fast(client.get(grid_url(people)))
    another_process = LocalMirror(seconds=60)
    another_process.delete_many([grades_panel_version_key(people.cohort.pk)])
    changed = client.get(grid_url(people))
    assert not fast(changed) and changed.page_cache == "miss"
    assert fast(client.get(grid_url(people)))


@pytest.mark.parametrize("page", ["cohort", "at-risk"])
@pytest.mark.parametrize("role", ["instructor", "mentor"])
def test_a_cohort_page_or_at_risk_list_costs_one_query_and_one_cache_read(
    page, role, people, client_for, django_assert_num_queries
):
    url = (cohort_url if page == "cohort" else at_risk_url)(people)
    client = warmed(client_for, getattr(people, role), url)
    # The same one as the queue's (the session with the user, their membership stamps and
    # unread count); the viewer's stamp of the cohort is the whole key: no cohort, role or
    # roster row.
    with django_assert_num_queries(1), cache_reads() as reads:
        assert fast(client.get(url))
    assert [key.split(":")[0] for key in reads] == ["pagecache"]


def test_the_cohort_page_is_only_ever_the_viewers_own(people, client_for):
    """Each member gets the page made for them (the roster and management for those who may,
    who teaches for a learner); an outsider gets 404 and a signed-out visitor the sign-in, never
    from the fast path; an admin who is no member gets the page from the full path's cache."""
    url = cohort_url(people)
    bodies = {}
    for role in ("instructor", "mentor", "student", "other_student"):
        client = warmed(client_for, getattr(people, role), url)
        response = client.get(url)
        assert fast(response)
        bodies[role] = response.content.decode()
    assert "Pending invitations" in bodies["instructor"] and "Grant an extension" in bodies["instructor"]
    assert people.student.email in bodies["mentor"] and "Pending invitations" not in bodies["mentor"]
    for learner in ("student", "other_student"):
        assert "Who teaches this cohort" in bodies[learner] and people.other_student.email not in bodies[learner]
    for outsider in (people.foreign_mentor, people.stranger):
        client = client_for(outsider)
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 404 and not fast(response)
    admin = client_for(people.admin)
    answers = [admin.get(url) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert not any(fast(answer) for answer in answers) and answers[-1].page_cache == "hit"
    assert "Pending invitations" in answers[-1].content.decode()  # an admin manages every cohort
    response = Client().get(url)
    assert signed_out(response) and not fast(response)


def test_the_at_risk_list_is_only_ever_the_viewers_own(people, client_for):
    """The instructor sees the whole cohort, a mentor their own students; learners and a mentor
    of another cohort get 404, never from the fast path; an admin who is no member gets the
    list from the full path's cache; a signed-out visitor the sign-in."""
    url = at_risk_url(people)
    instructor = warmed(client_for, people.instructor, url).get(url)
    unassigned = warmed(client_for, people.unassigned_mentor, url).get(url)
    assert fast(instructor) and fast(unassigned)
    assert "students of the cohort" in instructor.content.decode()
    assert "0 of 0 students you mentor" in unassigned.content.decode()
    for outsider in (people.student, people.other_student, people.foreign_mentor):
        client = client_for(outsider)
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 404 and not fast(response)
    admin = client_for(people.admin)
    answers = [admin.get(url) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert not any(fast(answer) for answer in answers) and answers[-1].page_cache == "hit"
    response = Client().get(url)
    assert signed_out(response) and not fast(response)


def test_a_cohort_page_query_it_does_not_read_is_never_kept(people, client_for):
    client = warmed(client_for, people.instructor, cohort_url(people))
    for query in ("?utm=x", "?page=1&page=2"):
        answers = [client.get(cohort_url(people, query)) for _ in range(2)]
        assert [answer.page_cache for answer in answers] == ["bypass", "bypass"]
        assert not any(fast(answer) for answer in answers)


def test_the_gradebook_changes_at_once_with_its_grades_and_its_lms_panel(
    people,
    scored,
    client_for,
    django_capture_on_commit_callbacks,
):
    from lti.services import grades_panel_changed

    client = warmed(client_for, people.instructor, grid_url(people))
    submit(people.other_student, people.cohort, 5)  # a new submission bumps the cohort's grades_version
    changed = client.get(grid_url(people))
    assert not fast(changed) and changed.page_cache == "miss"
    assert fast(client.get(grid_url(people)))
    with django_capture_on_commit_callbacks(execute=True):
        grades_panel_changed(cohort_id=people.cohort.pk)  # a grade sync's status moved
    panel = client.get(grid_url(people))
    assert not fast(panel) and panel.page_cache == "miss"


def test_the_gradebook_is_only_ever_the_viewers_own(people, scored, client_for):
    """Two viewers of one cohort with different scopes get their own pages; a learner, a
    mentor of another cohort and an admin who is no member never get one from the fast path."""
    instructor = warmed(client_for, people.instructor, grid_url(people))
    mentor = warmed(client_for, people.unassigned_mentor, grid_url(people))
    everyone, unassigned = instructor.get(grid_url(people)), mentor.get(grid_url(people))
    assert fast(everyone) and fast(unassigned)
    assert people.student.display_name in everyone.content.decode()
    assert people.student.display_name not in unassigned.content.decode()  # mentors see their own students
    for outsider in (people.student, people.foreign_mentor):
        client = client_for(outsider)
        for _ in range(2):
            response = client.get(grid_url(people))
            assert response.status_code == 404 and not fast(response)
    admin = client_for(people.admin)
    for _ in range(2):
        response = admin.get(grid_url(people))
        assert response.status_code == 200 and not fast(response)


def test_an_instructor_made_mentor_gets_a_mentors_gradebook_at_once(people, scored, client_for):
    from cohorts.services import membership_ensure

    client = warmed(client_for, people.instructor, grid_url(people))
    Membership.objects.filter(user=people.instructor, cohort=people.cohort).delete()
    membership_ensure(cohort=people.cohort, user=people.instructor, role=Membership.Role.MENTOR)
    response = client.get(grid_url(people))
    assert not fast(response) and response.status_code == 200
    assert people.student.display_name not in response.content.decode()  # no student of theirs


def test_a_fast_answer_is_counted_per_view_in_the_metrics(queue_client):
    from prometheus_client import REGISTRY

    labels = {"view": "rubrics:queue", "method": "GET"}

    def samples() -> list[float]:
        return [
            REGISTRY.get_sample_value(name, {**labels, **extra}) or 0.0
            for name, extra in (
                ("django_http_responses_total_by_status_view_method_total", {"status": "200"}),
                ("django_http_requests_latency_seconds_by_view_method_count", {}),
                ("django_http_requests_total_by_view_transport_method_total", {"transport": "http"}),
            )
        ]

    before = samples()
    assert fast(queue_client.get(QUEUE))
    assert [a - b for a, b in zip(samples(), before, strict=True)] == [1.0, 1.0, 1.0]


# --- Every refusal goes down the full path ----------------------------------------------------


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_signed_out_visitors_take_the_full_path(queue_client):
    queue_client.cookies.pop(django_settings.SESSION_COOKIE_NAME)
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_a_session_deleted_from_another_device_ends_at_once(queue_client):
    Session.objects.all().delete()
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_an_expired_session_ends_at_once(queue_client):
    Session.objects.update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_a_tampered_session_cookie_is_nobody(queue_client):
    key = queue_client.cookies[django_settings.SESSION_COOKIE_NAME].value
    queue_client.cookies[django_settings.SESSION_COOKIE_NAME] = key[:-1] + ("a" if key[-1] != "a" else "b")
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_a_password_change_ends_other_sessions_at_once(queue_client, people):
    people.mentor.set_password("a new and long passphrase")
    people.mentor.save(update_fields=["password"])
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_a_deactivated_account_is_signed_out_at_once(queue_client, people):
    people.mentor.is_active = False
    people.mentor.save(update_fields=["is_active"])
    response = queue_client.get(QUEUE)
    assert signed_out(response) and not fast(response)


def test_a_session_naming_another_user_gets_their_page_never_this_one(queue_client, people):
    """A session whose data says it is someone else's (the other student signed in on the same
    browser) is theirs: their own page from the full path, never the mentor's."""
    session = Session.objects.get()
    other = Client()
    other.force_login(people.other_student)
    other_key = other.cookies[django_settings.SESSION_COOKIE_NAME].value
    queue_client.cookies[django_settings.SESSION_COOKIE_NAME] = other_key
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.status_code == 302  # a student has no review queue
    assert Session.objects.filter(pk=session.pk).exists()


def test_a_learner_never_gets_another_learners_mastery_page(people, scored, client_for):
    warmed(client_for, people.student, mastery_url(people))
    other = client_for(people.other_student)
    other.get(mastery_url(people))  # the CSRF cookie
    response = other.get(mastery_url(people))
    assert response.status_code == 404 and not fast(response)


def test_a_mentor_of_another_cohort_gets_their_own_queue(queue_client, people, client_for):
    mine = queue_client.get(QUEUE)
    assert fast(mine) and "/review/revisions/" in mine.content.decode()
    foreign = client_for(people.foreign_mentor)
    first = foreign.get(QUEUE)
    second = foreign.get(QUEUE)
    assert (first.page_cache, fast(second)) == ("miss", True)
    assert "/review/revisions/" not in second.content.decode()
    assert without_csrf(second.content) != without_csrf(mine.content)


def test_staff_who_owe_a_second_factor_take_the_full_path(people, client_for, settings):
    submit(people.student, people.cohort)
    people.mentor.is_staff = True
    people.mentor.save(update_fields=["is_staff"])
    settings.MFA_REQUIRED_FOR_STAFF = False
    client = warmed(client_for, people.mentor, QUEUE)
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = client.get(QUEUE)
    assert not fast(response)
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")


def test_instructors_who_owe_a_second_factor_take_the_full_path(people, client_for, settings):
    submit(people.student, people.cohort)
    settings.MFA_REQUIRED_FOR_STAFF = False
    client = warmed(client_for, people.instructor, QUEUE)
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = client.get(QUEUE)
    assert not fast(response) and response["Location"] == reverse("mfa_activate_totp")


def test_flash_messages_waiting_take_the_full_path(queue_client):
    from tests.rubrics.test_queue_cache import _encoded_messages

    queue_client.cookies["messages"] = _encoded_messages([(constants.SUCCESS, "Saved.")])
    response = queue_client.get(QUEUE)
    assert not fast(response) and "Saved." in response.content.decode()


def test_flash_messages_in_the_session_take_the_full_path(queue_client, settings):
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
    session = Session.objects.get()
    store = django_settings.SESSION_ENGINE and __import__("core.sessions", fromlist=["SessionStore"]).SessionStore(
        session.session_key
    )
    store["_messages"] = '[["__json_message",0,25,"Saved in the session."]]'
    store.save()
    response = queue_client.get(QUEUE)
    assert not fast(response) and "Saved in the session." in response.content.decode()


def test_no_csrf_cookie_takes_the_full_path_which_sets_one(queue_client):
    queue_client.cookies.pop(django_settings.CSRF_COOKIE_NAME)
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.page_cache == "hit"
    assert response.cookies[django_settings.CSRF_COOKIE_NAME].value


def test_a_malformed_csrf_cookie_takes_the_full_path(queue_client):
    queue_client.cookies[django_settings.CSRF_COOKIE_NAME] = "x" * 31
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.status_code == 200


def test_a_post_takes_the_full_path(queue_client):
    response = queue_client.post(QUEUE)
    assert response.status_code == 405 and not fast(response)


def test_an_lti_framed_session_keeps_its_framing(queue_client):
    from core.sessions import SessionStore

    store = SessionStore(Session.objects.get().session_key)
    store[FRAME_ORIGIN_SESSION_KEY] = "https://lms.example"
    store.save()
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self' https://lms.example" in response["Content-Security-Policy"]


def test_leaving_the_cohort_changes_the_page_at_once(queue_client, people):
    membership_remove(membership=Membership.objects.get(user=people.mentor, cohort=people.cohort))
    response = queue_client.get(QUEUE)
    assert not fast(response)
    assert response.status_code == 302  # no longer a mentor anywhere: the peer review queue


def test_a_new_unread_notification_changes_the_layout_at_once(queue_client, people):
    from tests.factories import NotificationFactory

    NotificationFactory(recipient=people.mentor)
    response = queue_client.get(QUEUE)
    assert not fast(response) and response.page_cache == "miss"


# --- Redis away -----------------------------------------------------------------------------


def test_with_redis_stopped_the_full_path_answers_and_a_sign_out_meanwhile_holds(redis_cache, people, client_for):
    submit(people.student, people.cohort)
    client = warmed(client_for, people.mentor, QUEUE)
    redis_cache.process.send_signal(signal.SIGSTOP)
    try:
        response = client.get(QUEUE)  # the cache reads a miss after its timeout: made afresh
        assert response.status_code == 200 and not fast(response)
        assert client.post(reverse("account_logout")).status_code == 302
    finally:
        redis_cache.process.send_signal(signal.SIGCONT)
    cache._cache._skip_until = 0.0  # as a process whose back-off has run out
    response = client.get(QUEUE)
    assert signed_out(response) and not fast(response)
    # The entry is still in Redis: another session of the same mentor is answered from it.
    other = warmed(client_for, people.mentor, QUEUE)
    assert fast(other.get(QUEUE))


# --- The API's works list, for a personal access token -----------------------------------------

WORKS = "/api/v1/works/"


def token_client(user, scope: str = "read_write", **headers) -> Client:
    from tests.factories import PersonalAccessTokenFactory

    token = PersonalAccessTokenFactory(user=user, scope=scope)
    client = Client(headers={"Authorization": f"Bearer {token.plaintext}", **headers})
    client.token = token
    return client


def warmed_api(client: Client, path: str = WORKS) -> Client:
    first = client.get(path)
    assert first.status_code == 200 and not fast(first) and first.page_cache in ("miss", "hit")
    again = client.get(path)
    assert again.status_code == 200 and fast(again)
    return client


@pytest.fixture
def open_work(people):
    from submissions import services

    week = people.cohort.course.weeks.get(number=20)
    return services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)


@pytest.mark.parametrize("mfa_required", [False, True])
@pytest.mark.parametrize("accept", ["application/json", "application/json; indent=2", "*/*"])
def test_the_fast_api_answer_is_the_full_paths_answer(
    people, open_work, full_path_client, settings, mfa_required, accept
):
    settings.MFA_REQUIRED_FOR_STAFF = mfa_required
    client = token_client(people.mentor, Accept=accept)
    client.get(WORKS, {"page_size": 1})
    quick = client.get(WORKS, {"page_size": 1})
    assert fast(quick)
    full = full_path_client(client)
    full.defaults.update(client.defaults)
    full_answer = full.get(WORKS, {"page_size": 1})
    assert not fast(full_answer) and full_answer.page_cache == "hit"
    assert quick.status_code == full_answer.status_code == 200
    assert quick.content == full_answer.content
    assert headers(quick) == headers(full_answer)


def test_a_fast_api_answer_costs_one_query_and_counts_the_throttle(
    people, open_work, settings, django_assert_num_queries
):
    client = warmed_api(token_client(people.mentor))
    # 1: the token with its owner (last used a moment ago: not written again) and my cohorts
    # with their versions (membership stamps), in one statement (courseplatform/viewer.py);
    # then one cache read and the throttle's count.
    with django_assert_num_queries(1):
        assert fast(client.get(WORKS))
    # Three requests counted so far (two to warm up, one measured): the fourth is the last allowed.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "4/hour", "anon": None}}
    answers = [client.get(WORKS) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 429, 429]
    assert fast(answers[0]) and not fast(answers[1]) and answers[1].has_header("Retry-After")


@pytest.mark.parametrize(
    "backend", ["core.cache.FailSoftRedisCache", "core.observability.cache.InstrumentedFailSoftRedisCache"]
)
def test_with_redis_a_fast_api_answer_reads_and_counts_in_one_round_trip(
    backend, redis_cache, people, open_work, settings, django_assert_num_queries
):
    """The page and the throttle's count in one script (FailSoftRedisCache.get_and_count_request),
    counting as DRF does: the production backend (timed) and the plain one alike."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "BACKEND": backend}}
    client = warmed_api(token_client(people.mentor))
    monitor = redis.Redis.from_url(redis_cache.url)
    before = monitor.info("commandstats")
    with django_assert_num_queries(1):
        assert fast(client.get(WORKS))
    after = monitor.info("commandstats")
    calls = {name: after[name]["calls"] - before.get(name, {"calls": 0})["calls"] for name in after}
    calls.pop("cmdstat_info", None)
    sent = {name.removeprefix("cmdstat_") for name, count in calls.items() if count}
    assert calls["cmdstat_evalsha"] == 1
    assert sent - {"evalsha"} <= {"get", "hget", "hincrby", "hdel", "expire"}  # all inside the script
    # Three counted (the miss by the full path, two fast answers): the fourth is the last allowed.
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "4/hour", "anon": None}}
    answers = [client.get(WORKS) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 429, 429]
    assert fast(answers[0]) and not fast(answers[1]) and answers[1].has_header("Retry-After")


def test_a_revoked_token_is_refused_at_once(people, open_work):
    from accounts.services import token_revoke

    client = warmed_api(token_client(people.mentor, scope="read"))
    token_revoke(token=client.token)
    response = client.get(WORKS)
    assert response.status_code == 401 and not fast(response)


def test_an_expired_token_is_refused_at_once(people, open_work):
    client = warmed_api(token_client(people.mentor))
    type(client.token).objects.filter(pk=client.token.pk).update(
        expires_at=timezone.now() - timezone.timedelta(seconds=1)
    )
    response = client.get(WORKS)
    assert response.status_code == 401 and not fast(response)


def test_a_deactivated_owners_token_is_refused_at_once(people, open_work):
    client = warmed_api(token_client(people.mentor))
    people.mentor.is_active = False
    people.mentor.save(update_fields=["is_active"])
    response = client.get(WORKS)
    assert response.status_code == 401 and not fast(response)


def test_a_wrong_secret_is_refused(people, open_work):
    client = warmed_api(token_client(people.mentor))
    forged = client.token.plaintext[:-1] + ("a" if client.token.plaintext[-1] != "a" else "b")
    response = Client(headers={"Authorization": f"Bearer {forged}"}).get(WORKS)
    assert response.status_code == 401 and not fast(response)


def test_another_viewers_token_gets_their_own_list(people, open_work):
    mentor = warmed_api(token_client(people.mentor))
    assert open_work.pk in {row["id"] for row in mentor.get(WORKS).json()["results"]}
    foreign = token_client(people.foreign_mentor)
    foreign.get(WORKS)
    answer = foreign.get(WORKS)
    assert fast(answer) and open_work.pk not in {row["id"] for row in answer.json()["results"]}


def test_staff_who_owe_a_second_factor_get_the_full_paths_403(people, open_work, settings):
    people.mentor.is_staff = True
    people.mentor.save(update_fields=["is_staff"])
    settings.MFA_REQUIRED_FOR_STAFF = False
    client = warmed_api(token_client(people.mentor))
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = client.get(WORKS)
    assert response.status_code == 403 and not fast(response)


def test_a_token_with_a_session_cookie_or_a_post_takes_the_full_path(people, open_work, client_for):
    client = warmed_api(token_client(people.mentor))
    client.cookies[django_settings.SESSION_COOKIE_NAME] = "whatever-session"
    assert not fast(client.get(WORKS))
    assert not fast(token_client(people.mentor).post(WORKS, {}, content_type="application/json"))


def test_an_unacceptable_media_type_gets_the_full_paths_406(people, open_work):
    client = warmed_api(token_client(people.mentor))
    response = client.get(WORKS, headers={"Accept": "text/csv"})
    assert response.status_code == 406 and not fast(response)


def test_leaving_the_cohort_changes_the_list_at_once(people, open_work):
    client = warmed_api(token_client(people.mentor))
    membership_remove(membership=Membership.objects.get(user=people.mentor, cohort=people.cohort))
    response = client.get(WORKS)
    assert not fast(response) and response.page_cache == "miss"
    assert open_work.pk not in {row["id"] for row in response.json()["results"]}
