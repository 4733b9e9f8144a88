"""GET /api/v1/works/ is kept whole (core/pagecache.py) under the viewer and their cohorts'
versions: every writing path gives the next request a new page, one viewer never gets another's
page, and a revoked token is refused even while its page is kept."""

import pytest

from accounts.services import token_revoke
from cohorts.models import Membership, MentorAssignment
from cohorts.services import membership_add, membership_remove, mentor_unassign
from rubrics.models import Assessment
from rubrics.services import assessment_record, rubric_install_defaults
from submissions import services
from tests.factories import PersonalAccessTokenFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/works/"


@pytest.fixture
def api(bearer_client):
    clients = {}

    def make(user):
        if user.pk not in clients:
            clients[user.pk] = bearer_client(user)
        return clients[user.pk]

    return make


def _week(people, student, number):
    return services.work_get_or_create(
        student=student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=number)
    )


def _rows(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()["results"]}


def _kept_then(client, change, **params):
    """Fill the cache, check a repeat hits it, make the change, and return the next answer."""
    client.get(URL, params)
    repeat = client.get(URL, params)
    assert repeat.page_cache == "hit"
    change()
    response = client.get(URL, params)
    assert response.page_cache == "miss"
    return response


def test_a_draft_save_shows_its_new_version_at_once(people, api):
    work = _week(people, people.student, 20)
    for viewer in (people.student, people.mentor, people.instructor):
        client = api(viewer)
        before = work.draft_version
        response = _kept_then(
            client,
            lambda before=before: services.work_save_draft(
                work=work, content={"concept": {"text": "v"}}, expected_version=before, by=people.student
            ),
        )
        work.refresh_from_db()
        assert _rows(response)[work.pk]["draft_version"] == work.draft_version == before + 1


def test_opening_submitting_and_deciding_show_at_once(people, api):
    rubric = rubric_install_defaults(course=people.cohort.course)[0]
    client = api(people.mentor)
    holder = {}
    response = _kept_then(client, lambda: holder.setdefault("work", _week(people, people.student, 20)))
    work = holder["work"]
    assert work.pk in _rows(response)
    response = _kept_then(
        client, lambda: holder.setdefault("revision", services.work_submit(work=work, by=people.student))
    )
    assert _rows(response)[work.pk]["state"] == "submitted"

    def decide():
        criteria = {c.pk: (c.levels.order_by("-points").first().pk, "") for c in rubric.criteria.all()}
        assessment_record(
            revision=holder["revision"],
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=criteria,
            feedback="Good.",
            decision="accept",
        )

    response = _kept_then(client, decide)
    assert _rows(response)[work.pk]["state"] == "accepted"


def test_mentor_assignment_and_membership_changes_show_at_once(people, api):
    mine = _week(people, people.student, 20)
    theirs = _week(people, people.other_student, 20)
    client = api(people.mentor)
    assignment = MentorAssignment.objects.get(mentor=people.mentor, student=people.other_student)
    response = _kept_then(client, lambda: mentor_unassign(assignment=assignment))
    assert set(_rows(response)) == {mine.pk}
    response = _kept_then(
        client, lambda: membership_add(cohort=people.other_cohort, user=people.mentor, role="instructor")
    )
    foreign = services.work_get_or_create(
        student=people.foreign_student, cohort=people.other_cohort, week=people.other_cohort.course.weeks.get(number=3)
    )
    assert foreign.pk in _rows(client.get(URL))
    membership = Membership.objects.get(cohort=people.cohort, user=people.mentor)
    response = _kept_then(client, lambda: membership_remove(membership=membership))
    assert mine.pk not in _rows(response) and theirs.pk not in _rows(response)


@pytest.mark.parametrize(
    "viewer, sees",
    [
        ("other_student", {"theirs"}),
        ("student", {"mine"}),
        ("foreign_mentor", {"foreign"}),
        ("instructor", {"mine", "theirs"}),
        ("admin", {"mine", "theirs", "foreign"}),
    ],
)
def test_another_viewer_never_gets_the_mentors_page(people, api, viewer, sees):
    works = {
        "mine": _week(people, people.student, 20),
        "theirs": _week(people, people.other_student, 20),
        "foreign": services.work_get_or_create(
            student=people.foreign_student,
            cohort=people.other_cohort,
            week=people.other_cohort.course.weeks.get(number=3),
        ),
    }
    mentor = api(people.mentor)
    mentor.get(URL)
    assert mentor.get(URL).page_cache == "hit"
    response = api(getattr(people, viewer)).get(URL)
    assert response.page_cache in ("miss", "bypass")
    assert set(_rows(response)) == {works[name].pk for name in sees}


def test_a_revoked_token_is_refused_while_its_page_is_kept(people, bearer_client):
    _week(people, people.student, 20)
    token = PersonalAccessTokenFactory(user=people.mentor, scope="read")
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
    assert client.get(URL).status_code == 200
    assert client.get(URL).page_cache == "hit"
    token_revoke(token=token)
    assert client.get(URL).status_code == 401


def test_filters_and_cursor_pages_are_kept_apart(people, api):
    first = _week(people, people.student, 20)
    second = _week(people, people.student, 21)
    client = api(people.mentor)
    assert set(_rows(client.get(URL, {"page_size": 1}))) == {second.pk}
    assert set(_rows(client.get(URL, {"page_size": 2}))) == {first.pk, second.pk}
    assert set(_rows(client.get(URL, {"state": "submitted"}))) == set()
    nxt = client.get(URL, {"page_size": 1}).json()["next"]
    assert set(_rows(client.get(nxt))) == {first.pk}
    assert client.get(URL, {"page_size": 1, "made_up": "x"}).page_cache == "bypass"


def test_the_session_and_the_token_read_the_same_page(people, api, client_for):
    work = _week(people, people.student, 20)
    by_token = api(people.mentor).get(URL)
    by_session = client_for(people.mentor).get(URL)
    assert _rows(by_token) == _rows(by_session) and work.pk in _rows(by_session)
