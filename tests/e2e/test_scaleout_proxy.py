"""Two web instances behind HAProxy (deploy/haproxy.cfg) share nothing but PostgreSQL and
Redis: a student signs in through the proxy, types a draft, and the instance the next request
was due to reach is SIGKILLed while the autosave is on its way. The proxy sends the save to
the other instance; the student is still signed in and every word typed is kept."""

import re

import pytest
from playwright.sync_api import Page, Route, expect

from cohorts.models import Membership
from submissions import services
from submissions.models import WeeklyWork
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.scaleout.web_instances import routed, wait_until, web_cluster
from tests.workers import SharedDatabase

from .support import cohort_in_week

WEEK = 4
BEFORE = "Traced 20 requests through HAProxy, gunicorn and PostgreSQL."
TYPED_BEFORE_THE_KILL = "The proxy retried the refused connection on the other instance: 0 errors."


@pytest.fixture
def student(course):
    cohort = cohort_in_week(course, WEEK)
    user = UserFactory(name="Noor Haddad", email="noor.haddad@example.com")
    MembershipFactory(cohort=cohort, user=user, role=Membership.Role.STUDENT)
    work = services.work_get_or_create(student=user, cohort=cohort, week=course.weeks.get(number=WEEK))
    user.work = work
    return user


@pytest.fixture
def cluster(student, tmp_path):
    database = SharedDatabase()
    database.share()
    with web_cluster(database_url=database.url, media_root=tmp_path / "media") as running:
        yield running


def test_a_journey_through_the_proxy_survives_an_instance_killed_in_the_middle(page: Page, student, cluster):
    proxy, instances = cluster
    server_errors: list[str] = []
    page.on("response", lambda r: server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)

    # Sign in through the proxy with the real form: the session is written by one instance
    # and read by whichever serves the next request.
    page.goto(f"{proxy.url}/accounts/login/")
    page.get_by_label("Email").fill(student.email)
    page.get_by_label("Password", exact=False).first.fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=re.compile("^sign in$", re.IGNORECASE)).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))

    page.goto(f"{proxy.url}/work/{student.work.pk}/")
    lab = page.get_by_role("textbox", name="Lab report", exact=True)
    lab.fill(BEFORE)
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))
    assert instances["web1"].requests_served() and instances["web2"].requests_served(), "both instances served"

    # The next autosave is held in the browser while one instance is SIGKILLed: the one that
    # served the last request, so the draft typed on its page is saved after it died.
    killed: list[str] = []

    def kill_an_instance_then_send(route: Route) -> None:
        if route.request.method == "POST":
            victim = routed(proxy)[-1][0]
            instances[victim].kill()
            killed.append(victim)
        route.continue_()

    autosave = re.compile(rf"/work/{student.work.pk}/$")
    page.route(autosave, kill_an_instance_then_send)
    with page.expect_response(lambda r: r.request.method == "POST" and autosave.search(r.url)) as saved:
        lab.fill(BEFORE + "\n\n" + TYPED_BEFORE_THE_KILL)
    assert saved.value.status == 200
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Draft saved at \d"))
    page.unroute(autosave)

    [victim] = killed
    survivor = "web1" if victim == "web2" else "web2"
    assert not instances[victim].alive
    work = WeeklyWork.objects.get(pk=student.work.pk)
    assert TYPED_BEFORE_THE_KILL in work.content["lab"]["text"]
    assert f"POST /work/{student.work.pk}/" in instances[survivor].requests_served()[-1]
    wait_until(
        lambda: f"Server web/{victim} is DOWN" in proxy.output(),
        timeout=10,
        message=lambda: f"HAProxy never took {victim} out:\n{proxy.output()}",
    )
    mark = len(routed(proxy))

    # The journey goes on, on the one instance left: still signed in, the text is there.
    page.reload()
    expect(page.get_by_role("textbox", name="Lab report", exact=True)).to_have_value(
        BEFORE + "\n\n" + TYPED_BEFORE_THE_KILL
    )
    page.goto(f"{proxy.url}/dashboard/")
    expect(page).to_have_url(re.compile(r"/dashboard/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert not server_errors, server_errors
    assert {server for server, _ in routed(proxy)[mark:]} == {survivor}
