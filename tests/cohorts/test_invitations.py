"""Inviting people by e-mail: who may invite, the e-mail, the link's page (GET shows, POST
accepts) and every state a link can be in."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts import services
from cohorts.models import CohortInvitation, Membership, MentorAssignment
from tests.factories import CohortInvitationFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin", "foreign_instructor"]
MANAGERS = {"instructor", "admin"}


def _invite(people, client_for, django_capture_on_commit_callbacks, email="new.mentor@example.com", role="mentor"):
    with django_capture_on_commit_callbacks(execute=True):
        return client_for(people.instructor).post(
            reverse("cohorts:invitation_create", args=[people.cohort.slug]),
            {"invite-email": email, "invite-role": role},
        )


def _link_token(message) -> str:
    return re.search(r"/cohorts/invitations/([^/]+)/", message.body).group(1)


@pytest.mark.parametrize("role", ROLES)
def test_only_the_cohorts_instructors_and_admins_invite(role, people, client_for, mailoutbox):
    response = client_for(getattr(people, role)).post(
        reverse("cohorts:invitation_create", args=[people.cohort.slug]),
        {"invite-email": "x@example.com", "invite-role": "student"},
    )
    if role in MANAGERS:
        assert response.status_code == 302
        assert CohortInvitation.objects.filter(cohort=people.cohort, email="x@example.com").exists()
    else:
        assert response.status_code == 404
        assert not CohortInvitation.objects.exists()


def test_inviting_needs_sign_in(people, client):
    response = client.post(
        reverse("cohorts:invitation_create", args=[people.cohort.slug]), {"invite-email": "x@example.com"}
    )
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not CohortInvitation.objects.exists()


def test_the_invitation_is_mailed_in_text_and_html_and_only_its_hash_is_stored(
    people, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(people, client_for, django_capture_on_commit_callbacks, email="New.Mentor@Example.com")
    (message,) = mailoutbox
    assert message.to == ["new.mentor@example.com"]
    assert people.cohort.name in message.subject
    token = _link_token(message)
    assert "as mentor" in message.body
    html = message.alternatives[0][0]
    assert token in html and "as <strong>mentor</strong>" in html
    invitation = CohortInvitation.objects.get()
    assert invitation.email == "new.mentor@example.com"
    assert invitation.token_hash == CohortInvitation.hash_token(token) and token not in invitation.token_hash
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=14)


def test_the_expiry_follows_the_setting(people, settings, mailoutbox):
    settings.COHORT_INVITATION_DAYS = 3
    invitation, _ = services.invitation_create(
        cohort=people.cohort, email="a@example.com", role="student", invited_by=people.instructor
    )
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=3)


def test_inviting_a_member_with_another_role_is_refused_clearly(people, client_for, mailoutbox):
    response = client_for(people.instructor).post(
        reverse("cohorts:invitation_create", args=[people.cohort.slug]),
        {"invite-email": people.student.email.upper(), "invite-role": "mentor"},
        follow=True,
    )
    assert f"{people.student.email} is already a student in {people.cohort}; remove them first" in (
        response.content.decode()
    )
    assert not CohortInvitation.objects.exists() and not mailoutbox


def test_inviting_again_replaces_the_pending_invitation(
    people, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    _invite(people, client_for, django_capture_on_commit_callbacks)
    _invite(people, client_for, django_capture_on_commit_callbacks, role="instructor")
    first, second = (_link_token(m) for m in mailoutbox)
    assert CohortInvitation.objects.open().get().role == "instructor"
    assert client_for().get(reverse("cohorts:invitation", args=[first])).status_code == 410
    assert client_for().get(reverse("cohorts:invitation", args=[second])).status_code == 200


def test_a_signed_out_visitor_sees_what_it_is_and_links_that_come_back(people, client_for, django_assert_num_queries):
    invitation = CohortInvitationFactory(cohort=people.cohort, role="mentor", invited_by=people.instructor)
    url = reverse("cohorts:invitation", args=[invitation.token])
    with django_assert_num_queries(1):  # the invitation with its cohort, course and inviter
        html = client_for().get(url).content.decode()
    assert people.cohort.name in html and invitation.email in html and "as <strong>mentor</strong>" in html
    assert f"/accounts/login/?next={url}" in html.replace("%2F", "/")
    assert f"/accounts/signup/?next={url}" in html.replace("%2F", "/")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None and not Membership.objects.filter(user__email=invitation.email).exists()


def test_a_signed_out_post_goes_to_sign_in_and_changes_nothing(people, client_for):
    invitation = CohortInvitationFactory(cohort=people.cohort)
    response = client_for().post(reverse("cohorts:invitation", args=[invitation.token]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_invited_person_accepts_once_with_any_letter_case(people, client_for):
    invitation = CohortInvitationFactory(cohort=people.cohort, email="grace@example.com", role="mentor")
    grace = UserFactory(email="Grace@Example.com")
    client = client_for(grace)
    page = client.get(reverse("cohorts:invitation", args=[invitation.token])).content.decode()
    assert "Join" in page and not Membership.objects.filter(user=grace).exists()  # GET never writes
    response = client.post(reverse("cohorts:invitation", args=[invitation.token]))
    assert response.status_code == 302 and response["Location"] == reverse("cohorts:detail", args=[people.cohort.slug])
    assert Membership.objects.get(user=grace, cohort=people.cohort).role == "mentor"
    invitation.refresh_from_db()
    assert invitation.accepted_by == grace and invitation.accepted_at is not None
    again = client.post(reverse("cohorts:invitation", args=[invitation.token]))
    assert again.status_code == 410 and "accepted already" in again.content.decode()


def test_another_signed_in_account_is_refused_naming_the_invited_address(people, client_for):
    invitation = CohortInvitationFactory(cohort=people.cohort, email="grace@example.com")
    for user in (people.student, people.foreign_mentor, UserFactory()):
        client = client_for(user)
        page = client.get(reverse("cohorts:invitation", args=[invitation.token])).content.decode()
        assert "This invitation is for grace@example.com" in page
        response = client.post(reverse("cohorts:invitation", args=[invitation.token]))
        assert response.status_code == 400 and "grace@example.com" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.parametrize(
    ("state", "words"),
    [
        ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "expired"),
        ({"revoked_at": timezone.now()}, "withdrawn"),
        ({"accepted_at": timezone.now()}, "accepted already"),
    ],
)
def test_expired_revoked_and_used_links_get_a_clear_410(state, words, people, client_for):
    invitation = CohortInvitationFactory(cohort=people.cohort, email="grace@example.com", **state)
    grace = UserFactory(email="grace@example.com")
    for client in (client_for(), client_for(grace)):
        for method in (client.get, client.post):
            response = method(reverse("cohorts:invitation", args=[invitation.token]))
            assert response.status_code == 410
            assert words in response.content.decode()
    assert not Membership.objects.filter(user=grace).exists()


def test_an_unknown_token_is_404(client_for):
    assert client_for().get(reverse("cohorts:invitation", args=["nope"])).status_code == 404


def test_accepting_a_student_invitation_assigns_its_mentor(people):
    invitation = CohortInvitationFactory(cohort=people.cohort, role="student", mentor_email=people.mentor.email)
    ada = UserFactory(email=invitation.email)
    _, assignments = services.invitation_accept(invitation=invitation, user=ada)
    assert [a.mentor for a in assignments] == [people.mentor]
    assert MentorAssignment.objects.is_mentor_of(mentor=people.mentor, student=ada, cohort=people.cohort)


def test_the_cohort_page_lists_pending_invitations_for_managers_only(people, client_for):
    CohortInvitationFactory(cohort=people.cohort, email="pending@example.com")
    CohortInvitationFactory(cohort=people.cohort, email="gone@example.com", revoked_at=timezone.now())
    for role in ("student", "mentor", "instructor", "admin"):
        html = client_for(getattr(people, role)).get(reverse("cohorts:detail", args=[people.cohort.slug])).content
        assert (b"pending@example.com" in html) == (role in MANAGERS)
        assert b"gone@example.com" not in html


@pytest.mark.parametrize("role", ROLES)
def test_revoking_asks_first_and_only_managers_may(role, people, client_for):
    invitation = CohortInvitationFactory(cohort=people.cohort)
    url = reverse("cohorts:invitation_revoke", args=[people.cohort.slug, invitation.pk])
    client = client_for(getattr(people, role))
    page = client.get(url)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None  # GET only asks
    if role not in MANAGERS:
        assert page.status_code == 404 and client.post(url).status_code == 404
        return
    assert page.status_code == 200 and b"Revoke invitation" in page.content
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client_for().get(reverse("cohorts:invitation", args=[invitation.token])).status_code == 410


def test_the_api_invites_with_the_same_service_and_rules(people, client_for, mailoutbox):
    client = client_for(people.instructor)
    url = f"/api/v1/cohorts/{people.cohort.slug}/invitations/"
    response = client.post(url, {"email": "Lin@Example.com", "role": "student"}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "lin@example.com" and body["role"] == "student" and "token" not in str(body)
    refused = client.post(url, {"email": people.mentor.email, "role": "student"}, content_type="application/json")
    assert refused.status_code == 400 and refused["Content-Type"].startswith("application/problem+json")
    assert "already a mentor" in refused.content.decode()
    bad = client.post(url, {"email": "nope", "role": "boss"}, content_type="application/json")
    assert bad.status_code == 400
    student = client_for(people.student).post(
        url, {"email": "x@example.com", "role": "student"}, content_type="application/json"
    )
    assert student.status_code == 403
    assert CohortInvitation.objects.count() == 1
