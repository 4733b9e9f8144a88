"""Grade passback (AGS) against the test LMS as its own process: a mentor's acceptance sends
the weighted score to the LMS line item (made when missing), once per decision, through the
LMS answering 500, an LMS that is away, a refusal, a second delivery, and a worker SIGKILLed
in the middle of sending."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.test import TestCase
from jwcrypto import jwk

from lti import keys
from lti.advantage import GRADE_SCOPES, AdvantageClient, LmsUnavailable
from lti.models import GradeSync
from lti.services.grades import grade_sync_retry, grade_sync_send
from rubrics.models import Assessment
from rubrics.selectors import rubric_for_work
from rubrics.services import assessment_record, rubric_install_defaults
from tests.factories import ContextFactory, DeploymentFactory, LmsAccountFactory, PlatformFactory, ResourceLinkFactory
from tests.rubrics.conftest import scores_for, submit
from tests.workers import SharedDatabase, Workers, celery_publishing_to, wait_for

from .harness import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LEARNER, person, running_lms, tool_urls

COURSE = "course-be"


@pytest.fixture(scope="module")
def tool_pem(tmp_path_factory):
    key = jwk.JWK.generate(kty="RSA", size=2048)
    path = tmp_path_factory.mktemp("lti-key") / "tool.pem"
    path.write_bytes(key.export_to_pem(private_key=True, password=None))
    return path


@pytest.fixture
def tool_key(settings, tool_pem):
    settings.LTI_PRIVATE_KEY_FILE = str(tool_pem)
    settings.LTI_PRIVATE_KEY = ""
    return keys.current_key()


@pytest.fixture(scope="module")
def lms(tool_pem):
    """One LMS for the module; each test uses its own course in it (context ids differ)."""
    public = jwk.JWK.from_pem(tool_pem.read_bytes())
    tool = tool_urls("http://tool.test") | {
        "jwks": {"keys": [{**public.export_public(as_dict=True), "kid": public.thumbprint(), "alg": "RS256"}]}
    }
    tool.pop("jwks_url")
    users = {
        "lms-ada": person("Ada Lovelace", "ada@uni.example"),
        "lms-teacher": person("Grace Hopper", "grace@uni.example"),
    }
    contexts = {
        f"{COURSE}-{n}": {
            "title": f"Backend Engineering {n}",
            "members": {"lms-ada": [LEARNER], "lms-teacher": [INSTRUCTOR]},
        }
        for n in range(12)
    }
    with running_lms(tool=tool, users=users, contexts=contexts) as started:
        yield started


_courses = iter(range(12))


@pytest.fixture
def linked(people, lms, tool_key):
    """people.cohort is the LMS course COURSE-n; the student has launched before (an LMS account)."""
    course_id = f"{COURSE}-{next(_courses)}"
    platform = PlatformFactory(
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        auth_login_url=lms.auth_url,
        access_token_url=lms.token_url,
        jwks_url=lms.jwks_url,
    )
    deployment = DeploymentFactory(platform=platform, deployment_id=DEPLOYMENT_ID)
    context = ContextFactory(
        platform=platform,
        deployment=deployment,
        context_id=course_id,
        cohort=people.cohort,
        lineitems_url=lms.lineitems_url(course_id),
        memberships_url=lms.memberships_url(course_id),
    )
    LmsAccountFactory(platform=platform, sub="lms-ada", user=people.student)
    rubric_install_defaults(course=people.cohort.course)
    # Tokens are kept in the shared cache until they expire; each test asks for its own.
    AdvantageClient(platform, GRADE_SCOPES).connector.forget_token(GRADE_SCOPES)
    return context


def _accept(people, points=3, number=1, *, send=True) -> Assessment:
    """A mentor accepts week `number`; with `send`, the task enqueued on commit runs here
    (eager), as a worker would run it."""
    revision = submit(people.student, people.cohort, number)
    rubric = rubric_for_work(revision.work)
    with TestCase.captureOnCommitCallbacks(execute=send):
        return assessment_record(
            revision=revision,
            scorer=people.mentor,
            kind=Assessment.Kind.MENTOR,
            scores=scores_for(rubric, points),
            feedback="Clear trade-offs.",
            decision=Assessment.Decision.ACCEPT,
        )


def _deliver_until_settled(sync: GradeSync) -> GradeSync:
    """What the task's retries do (core.tasks: LmsUnavailable is a ConnectionError, retried
    with backoff): deliver again while the row says "will retry"."""
    for _ in range(10):
        try:
            return grade_sync_send(sync_id=sync.pk)
        except LmsUnavailable:
            continue
    raise AssertionError("still retrying after 10 deliveries")


def _scores_for(lms, course_id):
    prefix = lms.lineitems_url(course_id)
    return [s for s in lms.state()["scores"] if s["lineitem"].startswith(prefix)]


@pytest.mark.django_db
def test_an_acceptance_sends_the_weighted_score_to_a_new_line_item(people, linked, lms, eager_tasks):
    assessment = _accept(people)

    sync = GradeSync.objects.get(assessment=assessment)
    assert (sync.status, sync.attempts, sync.last_error) == (GradeSync.Status.SENT, 1, "")
    items = lms.lineitems(linked.context_id)
    assert [(i["label"], i["scoreMaximum"], i["resourceId"]) for i in items] == [
        ("Week 1: " + people.cohort.course.weeks.get(number=1).title, 100.0, "week-1")
    ]
    assert sync.line_item_url == items[0]["id"]
    [score] = _scores_for(lms, linked.context_id)
    assert score["userId"] == "lms-ada"
    assert Decimal(str(score["scoreGiven"])) == assessment.score
    assert (score["scoreMaximum"], score["gradingProgress"], score["activityProgress"]) == (
        100.0,
        "FullyGraded",
        "Completed",
    )
    assert score["applied"] is True

    # The same decision recorded or sent again changes nothing at the LMS.
    grade_sync_send(sync_id=sync.pk)
    assert len(_scores_for(lms, linked.context_id)) == 1


@pytest.mark.django_db
def test_a_deep_linked_week_uses_the_line_item_the_launch_announced(people, linked, lms, eager_tasks):
    link = ResourceLinkFactory(
        context=linked,
        week=people.cohort.course.weeks.get(number=1),
        line_item_url=f"{lms.lineitems_url(linked.context_id)}/999",
    )
    # As if the LMS had made this line item when the week was deep-linked (it has not).
    sync = GradeSync.objects.get(assessment=_accept(people))
    # No such line item at the LMS (999): refused with its reason, and the stale URL forgotten.
    assert sync.status == GradeSync.Status.FAILED
    assert "404" in sync.last_error
    link.refresh_from_db()
    assert link.line_item_url == ""
    # Retrying finds or creates the week's line item and sends.
    with TestCase.captureOnCommitCallbacks(execute=True):
        sync = grade_sync_retry(sync=sync, by=people.instructor)
    sync.refresh_from_db()
    assert sync.status == GradeSync.Status.SENT
    link.refresh_from_db()
    assert link.line_item_url == sync.line_item_url != ""


@pytest.mark.django_db
def test_the_lms_answering_500_once_is_retried_and_the_score_arrives_once(people, linked, lms, eager_tasks):
    lms.fail_next("scores", status=500, times=1)
    sync = GradeSync.objects.get(assessment=_accept(people))
    # The first delivery recorded why it will be tried again, and raised for the retry.
    assert (sync.status, sync.attempts, sync.last_status_code) == (GradeSync.Status.RETRYING, 1, 500)
    assert sync.last_error == "Sending the score: the LMS answered 500 injected failure"
    sync = _deliver_until_settled(sync)
    assert (sync.status, sync.attempts, sync.last_error) == (GradeSync.Status.SENT, 2, "")
    requests = [r for r in lms.state()["requests"] if r["route"] == "scores" and linked.context_id in r["path"]]
    assert [r["status"] for r in requests] == [500, 201]
    assert len(_scores_for(lms, linked.context_id)) == 1


@pytest.mark.django_db
def test_an_lms_that_stays_down_ends_failed_with_the_reason(people, linked, lms, eager_tasks, settings):
    settings.LTI_GRADE_SYNC_MAX_ATTEMPTS = 3
    lms.fail_next("scores", status=503, times=3)
    sync = _deliver_until_settled(GradeSync.objects.get(assessment=_accept(people)))
    assert (sync.status, sync.attempts, sync.last_status_code) == (GradeSync.Status.FAILED, 3, 503)
    assert sync.last_error.startswith("Gave up after 3 attempts. Sending the score: the LMS answered 503")
    assert _scores_for(lms, linked.context_id) == []
    # Once the LMS is back, an instructor retries it.
    with TestCase.captureOnCommitCallbacks(execute=True):
        sync = grade_sync_retry(sync=sync, by=people.instructor)
    sync.refresh_from_db()
    assert (sync.status, sync.attempts) == (GradeSync.Status.SENT, 1)
    assert len(_scores_for(lms, linked.context_id)) == 1


@pytest.mark.django_db
def test_a_refusal_is_recorded_with_the_lms_reason_and_not_retried(people, linked, lms, eager_tasks):
    lms.fail_next("token", status=400, times=1)
    sync = GradeSync.objects.get(assessment=_accept(people))
    assert (sync.status, sync.attempts, sync.last_status_code) == (GradeSync.Status.FAILED, 1, 400)
    assert "Getting an access token: the LMS answered 400" in sync.last_error


@pytest.mark.django_db
def test_a_student_who_never_launched_is_reported_not_sent(people, linked, lms, eager_tasks):
    linked.platform.accounts.all().delete()
    sync = GradeSync.objects.get(assessment=_accept(people))
    assert sync.status == GradeSync.Status.FAILED
    assert "never opened the course from the LMS" in sync.last_error
    assert lms.state()["tokens"] == [] or _scores_for(lms, linked.context_id) == []


@pytest.mark.django_db
def test_changes_requested_and_cohorts_without_an_lms_send_nothing(people, lms, eager_tasks):
    rubric_install_defaults(course=people.cohort.course)
    revision = submit(people.student, people.cohort)
    assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric_for_work(revision.work), 2),
        feedback="Measure it first.",
        decision=Assessment.Decision.REQUEST_CHANGES,
    )
    assert GradeSync.objects.count() == 0
    _accept(people, number=2)  # people.cohort is no LMS course here
    assert GradeSync.objects.count() == 0


@pytest.mark.postgresql  # the row lock it checks is PostgreSQL's (SQLite's in-memory test database refuses a second writer)
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_send_the_score_once(people, linked, lms, eager_tasks):
    """The same task delivered twice at the same time (a message given out again): the row
    lock makes the second wait while the first talks to the (slow) LMS, then find it sent."""
    sync = GradeSync.objects.get(assessment=_accept(people))
    assert len(_scores_for(lms, linked.context_id)) == 1
    # As if that decision had not been sent yet, and its task arrived twice.
    GradeSync.objects.filter(pk=sync.pk).update(status=GradeSync.Status.PENDING, attempts=0)
    lms.delay_next("scores", seconds=1.5)
    outcomes = []

    def deliver():
        try:
            outcomes.append(grade_sync_send(sync_id=sync.pk).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == [GradeSync.Status.SENT, GradeSync.Status.SENT]
    assert len(_scores_for(lms, linked.context_id)) == 2  # the first decision's, and one more
    sync.refresh_from_db()
    assert sync.attempts == 1  # the second delivery waited, then found it sent


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_leaves_the_score_sent_once(people, linked, lms, tool_pem, redis_server):
    """A real worker is SIGKILLed while the (slow) LMS holds its score POST; the LMS still
    takes that score. The message comes back after the visibility timeout, the next worker
    finds the row "sending", reads the LMS's result, sees the score there and marks it sent
    without posting it again."""
    lms.delay_next("scores", seconds=5)
    workers = Workers(redis_server, SharedDatabase())
    workers.extra_env = {"LTI_PRIVATE_KEY_FILE": str(tool_pem), "LTI_PRIVATE_KEY": ""}
    try:
        with celery_publishing_to(redis_server.url):
            assessment = _accept(people, send=True)  # enqueued on commit, to the private broker
        sync = GradeSync.objects.get(assessment=assessment)
        workers.database.share()
        first = workers.start()
        wait_for(
            lambda: any(r["route"] == "scores" and linked.context_id in r["path"] for r in lms.state()["started"]),
            60,
            "the worker never reached the LMS",
            workers,
        )
        workers.kill(first)
        sync.refresh_from_db()
        assert sync.status == GradeSync.Status.SENDING  # the outcome is unknown to us
        wait_for(lambda: len(_scores_for(lms, linked.context_id)) == 1, 30, "the LMS never took the score", workers)

        workers.start()  # the unacknowledged message comes back after the visibility timeout
        wait_for(
            lambda: GradeSync.objects.filter(pk=sync.pk, status=GradeSync.Status.SENT).exists(),
            90,
            "the score was not settled after the restart",
            workers,
        )
    finally:
        workers.stop_all()
    state = lms.state()
    posts = [r for r in state["started"] if r["route"] == "scores" and linked.context_id in r["path"]]
    assert len(posts) == 1, "the score was posted again"
    assert len(_scores_for(lms, linked.context_id)) == 1
    reads = [r for r in state["requests"] if r["route"] == "results" and linked.context_id in r["path"]]
    assert len(reads) == 1  # the second worker asked the LMS instead of sending blind
    sync.refresh_from_db()
    assert (sync.status, sync.attempts, sync.last_error) == (GradeSync.Status.SENT, 1, "")
