"""Launches from a real LTI 1.3 platform (the test LMS, tests/lti/lms_server.py, built on
lti1p3platform) into the tool: login initiation, the signed id_token, the mapping of the LMS
course, person and role, and every refusal built by tampering with a real launch."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import jwt.api_jwt
import pytest

from accounts.models import User
from cohorts.models import Membership
from lti.models import Context, Deployment, LmsAccount, Platform, ResourceLink
from tests.factories import UserFactory

from .harness import (
    CLIENT_ID,
    LEARNER,
    TA,
    _get_no_redirect,
    _tool_request,
)
from .launching import TOOL, browser, launch_form, post_launch

# --- login initiation ---------------------------------------------------------------------


def test_login_initiation_redirects_to_the_platform_with_state_and_nonce(lms, platform):
    client = browser()
    first = _get_no_redirect(lms.launch_url(user="lea", context="course-1", link="rl-week-3"))
    answer = _tool_request(client, "get", first.headers["Location"])
    assert answer.status_code == 302
    location = urlsplit(answer["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == lms.auth_url
    assert query["redirect_uri"] == [f"{TOOL}/lti/launch/"]
    assert query["client_id"] == [CLIENT_ID] and query["response_mode"] == ["form_post"]
    assert query["nonce"][0] and query["state"][0]
    state_cookie = client.cookies[f"lti1p3-{query['state'][0]}"]
    assert state_cookie["secure"] and state_cookie["samesite"] == "None"


def test_login_from_an_unregistered_issuer_is_refused(client, tool_key, db):
    response = client.get("/lti/login/", {"iss": "https://unknown.example", "login_hint": "x", "client_id": "c"})
    assert response.status_code == 403
    assert b"Could not find registration details" in response.content


def test_login_without_an_issuer_is_a_bad_request(client, tool_key, db):
    assert client.get("/lti/login/", {"login_hint": "x"}).status_code == 400


# --- a learner's launch -------------------------------------------------------------------


def test_a_learner_lands_in_the_workspace_of_the_linked_week(lms, platform, cohort):
    client = browser()
    response = lms.launch(client, user="lea", context="course-1", link="rl-week-3")
    assert response.status_code == 302
    assert response["Location"] == f"/work/{cohort.slug}/weeks/3/"
    account = LmsAccount.objects.get(issuer=lms.issuer, sub="lea")
    assert account.user.email == "lea@uni.example" and account.user.name == "Lea Learner"
    assert not account.user.has_usable_password()
    assert Membership.objects.get(cohort=cohort, user=account.user).role == "student"
    link = ResourceLink.objects.get(resource_link_id="rl-week-3")
    assert link.week.number == 3 and link.context.cohort == cohort
    context = Context.objects.get(context_id="course-1")
    assert context.lineitems_url == lms.lineitems_url("course-1")
    assert context.memberships_url == lms.memberships_url("course-1")
    # Signed in: the workspace page opens for them.
    assert client.get(response["Location"]).status_code == 200


def test_the_same_learner_again_is_the_same_account_found_by_sub(lms, platform, cohort):
    client = browser()
    lms.launch(client, user="lea", context="course-1", link="rl-week-3")
    first = LmsAccount.objects.get(sub="lea").user_id
    User.objects.filter(pk=first).update(email="changed@elsewhere.example")  # e-mail is never the key
    response = lms.launch(browser(), user="lea", context="course-1", link="rl-week-3")
    assert response.status_code == 302
    assert LmsAccount.objects.get(sub="lea").user_id == first
    assert User.objects.filter(name="Lea Learner").count() == 1


def test_a_link_without_a_target_leads_to_the_cohort_dashboard(lms, platform, cohort):
    response = lms.launch(browser(), user="leo", context="course-1", link="rl-plain")
    assert response["Location"] == f"/dashboard/{cohort.slug}/"


def test_a_teaching_assistant_lands_in_the_review_queue_as_a_mentor(lms, platform, cohort):
    client = browser()
    response = lms.launch(client, user="tam", context="course-1", link="rl-week-3")
    assert response["Location"] == "/review/"
    assert Membership.objects.get(cohort=cohort, user__email="tam@uni.example").role == "mentor"


def test_a_changed_lms_role_changes_the_membership(lms, platform, cohort):
    lms.launch(browser(), user="leo", context="course-1", link="rl-week-3")
    user = User.objects.get(email="leo@uni.example")
    lms.add_member(context="course-1", user="leo", roles=[TA])
    try:
        lms.launch(browser(), user="leo", context="course-1", link="rl-week-3")
        assert Membership.objects.get(cohort=cohort, user=user).role == "mentor"
    finally:
        lms.add_member(context="course-1", user="leo", roles=[LEARNER])


def test_an_observer_has_no_place_and_is_refused(lms, platform, cohort):
    response = lms.launch(browser(), user="obs", context="course-1", link="rl-week-3")
    assert response.status_code == 403
    assert b"has no place" in response.content
    assert not User.objects.filter(email="oli@uni.example").exists()


def test_a_learner_before_the_course_is_set_up_is_told_to_wait(lms, platform):
    response = lms.launch(browser(), user="lea", context="course-2", link="rl-week-3-b")
    assert response.status_code == 409
    assert b"not set up yet" in response.content
    assert not Membership.objects.filter(user__email="lea@uni.example").exists()


# --- linking an existing account ----------------------------------------------------------


def test_an_existing_account_with_the_address_is_linked_only_after_its_owner_signs_in(
    lms, platform, cohort, django_assert_num_queries
):
    owner = UserFactory(email="sam@uni.example")
    client = browser()
    response = lms.launch(client, user="sam", context="course-1", link="rl-week-3")
    assert response["Location"] == "/lti/link/"
    assert not LmsAccount.objects.exists()
    # session, the LMS account by (issuer, sub), the account with the address
    with django_assert_num_queries(3):
        page = client.get("/lti/link/")
    assert b"already uses the address sam@uni.example" in page.content
    assert "_auth_user_id" not in client.session  # nobody signed in by the launch
    # A POST without signing in links nothing.
    client.post("/lti/link/")
    assert not LmsAccount.objects.exists()
    client.force_login(owner)
    response = client.post("/lti/link/")
    assert response.status_code == 302 and response["Location"] == f"/work/{cohort.slug}/weeks/3/"
    assert LmsAccount.objects.get(sub="sam").user == owner
    assert Membership.objects.get(cohort=cohort, user=owner).role == "student"


def test_confirming_as_someone_else_links_the_account_they_signed_in_to(lms, platform, cohort):
    """The person chooses which account is theirs by signing in to it; the link page names it."""
    UserFactory(email="sam@uni.example")
    other = UserFactory()
    client = browser()
    lms.launch(client, user="sam", context="course-1", link="rl-week-3")
    client.force_login(other)
    assert other.email.encode() in client.get("/lti/link/").content
    client.post("/lti/link/")
    assert LmsAccount.objects.get(sub="sam").user == other


def test_the_link_page_without_a_launch_is_refused(client, db):
    assert client.get("/lti/link/").status_code == 400


# --- an instructor's first launch -----------------------------------------------------------


def test_an_instructor_confirms_by_signing_in_then_creates_the_cohort(lms, platform, course, django_assert_num_queries):
    instructor = UserFactory(email="ina.own@uni.example")
    client = browser()
    response = lms.launch(client, user="ina", context="course-2", link="rl-week-3-b")
    assert response["Location"] == "/lti/link/"
    assert b"Instructors use an account of their own" in client.get("/lti/link/").content
    client.force_login(instructor)
    response = client.post("/lti/link/")
    assert response["Location"] == "/lti/setup/"
    # session, user, the context with its cohort, their roles (navigation), the course versions
    # twice (Django's ModelChoiceField reads its queryset once to render and once for the widget's
    # selected-option check; a handful of rows)
    with django_assert_num_queries(6):
        page = client.get("/lti/setup/")
    assert page.status_code == 200 and b"Course version" in page.content
    response = client.post(
        "/lti/setup/",
        {"course": course.pk, "name": "Backend Engineering (Spring)", "start_date": "2027-01-11", "time_zone": "UTC"},
    )
    context = Context.objects.select_related("cohort").get(context_id="course-2")
    assert context.cohort.course == course and context.cohort.name == "Backend Engineering (Spring)"
    assert response["Location"] == f"/insights/{context.cohort.slug}/gradebook/"
    assert Membership.objects.get(cohort=context.cohort, user=instructor).role == "instructor"
    # A learner of that LMS course now joins the new cohort.
    learner = lms.launch(browser(), user="lea", context="course-2", link="rl-week-3-b")
    assert learner["Location"] == f"/work/{context.cohort.slug}/weeks/3/"


def test_the_setup_form_refuses_bad_input_with_errors_not_a_500(lms, platform, course, settings):
    settings.LTI_TRUST_PLATFORM_SIGN_IN = True
    client = browser()
    assert lms.launch(client, user="ina", context="course-2", link="rl-week-3-b")["Location"] == "/lti/setup/"
    response = client.post("/lti/setup/", {"course": course.pk, "name": "", "start_date": "soon", "time_zone": "Mars"})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert Context.objects.get(context_id="course-2").cohort is None


def test_with_the_platform_trusted_an_instructor_is_signed_in_by_the_launch(lms, platform, cohort, settings):
    settings.LTI_TRUST_PLATFORM_SIGN_IN = True
    client = browser()
    response = lms.launch(client, user="ina", context="course-1", link="rl-week-3")
    assert response["Location"] == f"/insights/{cohort.slug}/gradebook/"
    assert Membership.objects.get(cohort=cohort, user__email="ina@uni.example").role == "instructor"
    # The platform's sign-in stands for the second factor in this session (no enrolment detour).
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("who", ["student", "anonymous"])
def test_only_a_launching_instructor_reaches_the_setup_page(client_for, who, db):
    user = UserFactory() if who == "student" else None
    assert client_for(user).get("/lti/setup/").status_code == 403


# --- refusals, each built from a real launch ------------------------------------------------


def _tampered_signature(token: str) -> str:
    head, body, signature = token.split(".")
    flipped = ("A" if signature[10] != "A" else "B") + signature[11:]
    return f"{head}.{body}.{signature[:10]}{flipped}"


def test_a_bad_signature_is_refused(lms, platform, cohort):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    response = post_launch(client, action, {**fields, "id_token": _tampered_signature(fields["id_token"])})
    assert response.status_code == 403
    assert b"Signature verification failed" in response.content
    assert not LmsAccount.objects.exists()


def test_a_token_for_another_tool_is_refused(lms, platform, cohort):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    Platform.objects.filter(pk=platform.pk).update(client_id="another-tool")  # the token's aud is not ours now
    response = post_launch(client, action, fields)
    assert response.status_code == 403
    assert not LmsAccount.objects.exists()


def test_an_expired_token_is_refused(lms, platform, cohort, monkeypatch):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")

    class Later(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.now(tz) + datetime.timedelta(hours=2)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)  # the real token, presented two hours late
    response = post_launch(client, action, fields)
    assert response.status_code == 403
    assert b"expired" in response.content
    assert not LmsAccount.objects.exists()


def test_a_replayed_launch_is_refused(lms, platform, cohort):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    assert post_launch(client, action, fields).status_code == 302
    again = post_launch(client, action, fields)
    assert again.status_code == 403
    assert b"already used" in again.content


def test_an_unknown_deployment_is_refused(lms, platform, cohort):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    Deployment.objects.filter(platform=platform).update(deployment_id="another-deployment")
    response = post_launch(client, action, fields)
    assert response.status_code == 403
    assert b"is not recognised" in response.content


def test_an_inactive_platform_is_refused(lms, platform, cohort):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    Platform.objects.filter(pk=platform.pk).update(is_active=False)
    assert post_launch(client, action, fields).status_code == 403


def test_a_launch_in_another_browser_than_the_login_is_refused_with_the_cookie_hint(lms, platform, cohort):
    action, fields = launch_form(lms, browser(), user="lea")
    response = post_launch(browser(), action, fields)  # no state cookie: blocked or another browser
    assert response.status_code == 403
    assert b"open the link in a new window" in response.content


def test_a_launch_without_a_token_is_a_bad_request(client, db, tool_key):
    assert client.post("/lti/launch/", {"state": "x"}).status_code == 400
    assert client.get("/lti/launch/").status_code == 405


def test_garbage_as_a_token_is_refused_not_a_500(lms, platform):
    client = browser()
    action, fields = launch_form(lms, client, user="lea")
    response = post_launch(client, action, {**fields, "id_token": "not.a.jwt"})
    assert response.status_code in (400, 403)
