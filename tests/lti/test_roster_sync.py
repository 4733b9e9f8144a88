"""Roster sync (NRPS) against the test LMS as its own process: the preview reads every page
of the LMS course's members and says who would be added, change role, be removed, wait for
their first launch or be kept; applying it does exactly that through cohorts.services, once.
The pages are for the cohort's instructors only (404 for everyone else)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from jwcrypto import jwk

from cohorts.models import Membership
from lti import advantage, keys
from lti.models import RosterSync
from lti.services.roster import roster_apply, roster_preview
from tests.factories import (
    ContextFactory,
    DeploymentFactory,
    LmsAccountFactory,
    MembershipFactory,
    PlatformFactory,
    UserFactory,
)

from .harness import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LEARNER, TA, person, running_lms, tool_urls

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


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


@pytest.fixture
def lms(tool_pem, monkeypatch):
    public = jwk.JWK.from_pem(tool_pem.read_bytes())
    tool = tool_urls("http://tool.test") | {
        "jwks": {"keys": [{**public.export_public(as_dict=True), "kid": public.thumbprint(), "alg": "RS256"}]}
    }
    tool.pop("jwks_url")
    users = {f"s-{n}": person(f"Student {n:02d}", f"s{n}@uni.example") for n in range(1, 8)}
    users |= {"teacher": person("Grace Hopper", "grace@uni.example"), "ta": person("Alan Turing", "alan@uni.example")}
    members = {f"s-{n}": [LEARNER] for n in range(1, 8)} | {"teacher": [INSTRUCTOR], "ta": [TA]}
    contexts = {"course-1": {"title": "Backend Engineering", "members": members}}
    # Small pages, so the roster takes several (Link: rel="next").
    monkeypatch.setattr(advantage, "MEMBERSHIP_PAGE", 3)
    with running_lms(tool=tool, users=users, contexts=contexts) as started:
        yield started


@pytest.fixture
def course_link(people, lms, tool_key):
    """people.cohort is LMS course-1. Known to us: s-1..s-4 (students here already, s-4 as a
    mentor by mistake), the teacher (our instructor), the TA (not a member yet). s-5..s-7
    never launched. people.other_student was linked once and has left the LMS course."""
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
        context_id="course-1",
        cohort=people.cohort,
        lineitems_url=lms.lineitems_url("course-1"),
        memberships_url=lms.memberships_url("course-1"),
    )
    students = {}
    for n in range(1, 5):
        role = Membership.Role.MENTOR if n == 4 else Membership.Role.STUDENT
        user = MembershipFactory(cohort=people.cohort, role=role, user__name=f"Student {n:02d}").user
        LmsAccountFactory(platform=platform, sub=f"s-{n}", user=user)
        students[n] = user
    LmsAccountFactory(platform=platform, sub="teacher", user=people.instructor)
    ta = UserFactory(name="Alan Turing")
    LmsAccountFactory(platform=platform, sub="ta", user=ta)
    LmsAccountFactory(platform=platform, sub="gone-1", user=people.other_student)
    return context, students, ta


def _names(rows):
    return [row["name"] for row in rows]


@pytest.mark.django_db
def test_the_preview_shows_what_would_change_and_changes_nothing(people, course_link, lms):
    context, students, ta = course_link
    lms.remove_member(context="course-1", user="s-3")
    before = set(Membership.objects.filter(cohort=people.cohort).values_list("user_id", "role"))

    sync = roster_preview(context=context, by=people.instructor)

    plan = sync.plan
    assert sync.members_read == 9  # 8 active and s-3 listed as Deleted
    assert [(r["name"], r["role"]) for r in plan["add"]] == [("Alan Turing", "mentor")]
    assert [(r["name"], r["from_role"], r["role"]) for r in plan["change"]] == [("Student 04", "mentor", "student")]
    assert sorted(_names(plan["remove"])) == sorted([students[3].display_name, people.other_student.display_name])
    assert _names(plan["waiting"]) == ["Student 05", "Student 06", "Student 07"]
    # Not linked to the LMS: added here by hand, so kept (and the instructor applying it too).
    kept = set(_names(plan["kept"]))
    assert {people.student.display_name, people.mentor.display_name, people.unassigned_mentor.display_name} <= kept
    assert set(Membership.objects.filter(cohort=people.cohort).values_list("user_id", "role")) == before
    pages = [r for r in lms.state()["requests"] if r["route"] == "memberships"]
    assert len(pages) == 3  # 9 members in pages of 3


@pytest.mark.django_db
def test_applying_the_preview_goes_through_the_cohort_services_once(people, course_link, lms):
    context, students, ta = course_link
    lms.remove_member(context="course-1", user="s-3")
    sync = roster_preview(context=context, by=people.instructor)

    roster_apply(sync=sync, by=people.instructor)

    roles = dict(Membership.objects.filter(cohort=people.cohort).values_list("user_id", "role"))
    assert roles[ta.pk] == Membership.Role.MENTOR
    assert roles[students[4].pk] == Membership.Role.STUDENT
    assert students[3].pk not in roles
    assert people.other_student.pk not in roles
    assert roles[people.student.pk] == Membership.Role.STUDENT  # kept
    sync.refresh_from_db()
    assert sync.result == {"added": 1, "changed": 1, "removed": 2, "skipped": 0}
    with pytest.raises(ValidationError, match="applied already"):
        roster_apply(sync=sync, by=people.instructor)

    # Read again: nothing left to change.
    again = roster_preview(context=context, by=people.instructor)
    assert (again.plan["add"], again.plan["change"], again.plan["remove"]) == ([], [], [])


@pytest.mark.django_db
def test_an_lms_refusing_the_roster_is_said_plainly(people, course_link, lms):
    context, _, _ = course_link
    lms.fail_next("memberships", status=403)
    with pytest.raises(ValidationError, match="could not be read from the LMS.*403"):
        roster_preview(context=context, by=people.instructor)
    assert RosterSync.objects.count() == 0


@pytest.mark.django_db
def test_the_roster_pages_preview_then_apply(client, people, course_link, lms):
    context, students, ta = course_link
    client.force_login(people.instructor)
    page = client.get(reverse("lti:roster", args=[people.cohort.slug]))
    assert page.status_code == 200
    assert b"Read the roster from the LMS" in page.content

    answer = client.post(reverse("lti:roster_preview", args=[people.cohort.slug]))
    sync = RosterSync.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("lti:roster_detail", args=[people.cohort.slug, sync.pk])
    detail = client.get(answer["Location"])
    assert b"Alan Turing" in detail.content and b"Apply 3 changes" in detail.content
    assert not Membership.objects.filter(cohort=people.cohort, user=ta).exists()

    client.post(reverse("lti:roster_apply", args=[people.cohort.slug, sync.pk]))
    assert Membership.objects.get(cohort=people.cohort, user=ta).role == Membership.Role.MENTOR


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["mentor", "student", "other_student", "foreign_mentor", "foreign_student"])
def test_only_the_cohorts_instructors_sync_the_roster(client, people, course_link, lms, who):
    context, _, _ = course_link
    sync = RosterSync.objects.create(context=context, cohort=people.cohort, requested_by=people.instructor, plan={})
    client.force_login(getattr(people, who))
    slug = people.cohort.slug
    assert client.get(reverse("lti:roster", args=[slug])).status_code == 404
    assert client.post(reverse("lti:roster_preview", args=[slug])).status_code == 404
    assert client.get(reverse("lti:roster_detail", args=[slug, sync.pk])).status_code == 404
    assert client.post(reverse("lti:roster_apply", args=[slug, sync.pk])).status_code == 404
    assert lms.state()["requests"] == []
