"""The cohort page kept whole by core.pagecache and answered before the middleware
(courseplatform/fast_path.py): every change it shows reaches the very next request. Members
added and removed, mentors assigned and unassigned, extensions granted and withdrawn: the
cohort's grades_version; invitations created, revoked and accepted: its invitations_version
(both bumped by the service in the change's transaction); an invitation expiring writes no
row, so the entry ends when the next pending invitation expires."""

import datetime
import time

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cohorts import services
from cohorts.models import CohortInvitation, Extension, Membership, MentorAssignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def fast(response) -> bool:
    return getattr(response, "page_cache_path", None) == "fast"


def url(people) -> str:
    return reverse("cohorts:detail", args=[people.cohort.slug])


@pytest.fixture
def instructor(people, client_for):
    """The instructor's browser, whose next request of the page is a fast-path hit."""
    client = client_for(people.instructor)
    assert client.get(url(people)).page_cache == "miss"
    assert django_settings.CSRF_COOKIE_NAME in client.cookies
    assert fast(client.get(url(people)))
    return client


def fresh(client, people) -> str:
    """The next answer, which a change must have made anew (not a kept entry)."""
    response = client.get(url(people))
    assert response.status_code == 200 and not fast(response) and response.page_cache == "miss"
    return response.content.decode()


def test_a_member_added_and_removed_shows_at_once(people, instructor):
    newcomer = UserFactory(email="newcomer@example.com")
    membership, _ = services.membership_ensure(cohort=people.cohort, user=newcomer, role=Membership.Role.STUDENT)
    assert "newcomer@example.com" in fresh(instructor, people)
    assert fast(instructor.get(url(people)))
    services.membership_remove(membership=membership)
    assert "newcomer@example.com" not in fresh(instructor, people)


def test_a_mentor_assigned_and_unassigned_shows_at_once(people, instructor):
    line = f"{people.unassigned_mentor.display_name} mentors {people.student.display_name}"
    assert line not in instructor.get(url(people)).content.decode()
    services.mentor_assign(cohort=people.cohort, mentor=people.unassigned_mentor, student=people.student)
    assert line in fresh(instructor, people)
    services.mentor_unassign(
        assignment=MentorAssignment.objects.get(mentor=people.unassigned_mentor, student=people.student)
    )
    assert line not in fresh(instructor, people)


def test_an_extension_granted_and_withdrawn_shows_at_once(people, instructor, client_for):
    learner = client_for(people.student)
    learner.get(url(people))
    assert fast(learner.get(url(people)))
    week = people.cohort.course.weeks.get(number=24)
    services.extension_grant(
        cohort=people.cohort,
        student=people.student,
        week=week,
        due_at=timezone.now() + datetime.timedelta(days=400),
        reason="Surgery",
        granted_by=people.instructor,
    )
    assert "Surgery" in fresh(instructor, people)
    assert '<span class="badge">extended</span>' in fresh(learner, people)  # the learner's own schedule
    services.extension_revoke(extension=Extension.objects.get(student=people.student))
    assert "Surgery" not in fresh(instructor, people)
    assert '<span class="badge">extended</span>' not in fresh(learner, people)


def test_an_invitation_created_and_revoked_shows_at_once(people, instructor):
    invitation, _ = services.invitation_create(
        cohort=people.cohort, email="invitee@example.com", role=Membership.Role.STUDENT, invited_by=people.instructor
    )
    assert "invitee@example.com" in fresh(instructor, people)
    assert fast(instructor.get(url(people)))
    services.invitation_revoke(invitation=invitation)
    assert "invitee@example.com" not in fresh(instructor, people)


def test_an_invitation_accepted_leaves_the_list_at_once(people, instructor):
    invitation, _ = services.invitation_create(
        cohort=people.cohort, email="invitee@example.com", role=Membership.Role.STUDENT, invited_by=people.instructor
    )
    assert "invitee@example.com ·" in fresh(instructor, people)
    assert fast(instructor.get(url(people)))
    services.invitation_accept(invitation=invitation, user=UserFactory(email="invitee@example.com"))
    html = fresh(instructor, people)
    assert "No pending invitations." in html and "invitee@example.com" in html  # now a member


def test_an_invitation_accepted_by_someone_already_added_leaves_the_list_at_once(people, instructor):
    """Accepting adds nobody when the person was added meanwhile in the same role (no
    grades_version bump): the invitation still leaves the list, by its own version."""
    invitee = UserFactory(email="invitee@example.com")
    invitation, _ = services.invitation_create(
        cohort=people.cohort, email=invitee.email, role=Membership.Role.STUDENT, invited_by=people.instructor
    )
    services.membership_ensure(cohort=people.cohort, user=invitee, role=Membership.Role.STUDENT)
    assert "invitee@example.com ·" in fresh(instructor, people)  # still pending
    assert fast(instructor.get(url(people)))
    services.invitation_accept(invitation=invitation, user=invitee)
    assert "No pending invitations." in fresh(instructor, people)


def test_the_entry_ends_when_the_next_pending_invitation_expires(people, instructor, settings):
    settings.COHORT_INVITATION_DAYS = 3 / 86400  # three seconds
    invitation, _ = services.invitation_create(
        cohort=people.cohort, email="invitee@example.com", role=Membership.Role.STUDENT, invited_by=people.instructor
    )
    assert "invitee@example.com" in fresh(instructor, people)
    if timezone.now() < invitation.expires_at - datetime.timedelta(seconds=1):
        assert fast(instructor.get(url(people)))  # kept until then
    time.sleep(max(0.0, (invitation.expires_at - timezone.now()).total_seconds()) + 0.2)
    assert invitation.status_at(timezone.now()) == CohortInvitation.Status.EXPIRED
    assert "No pending invitations." in fresh(instructor, people)  # no row written: the entry ended


def test_a_refused_form_is_never_kept(people, instructor):
    """A refused form (400) shows the page with its errors; it is never kept, and the next GET
    is the kept page, with no errors."""
    response = instructor.post(
        reverse("cohorts:mentor_assign", args=[people.cohort.slug]), {"mentor": "", "student": ""}
    )
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    again = instructor.get(url(people))
    assert fast(again) and "This field is required" not in again.content.decode()


def test_an_erased_invitees_address_leaves_the_list_at_once(people, instructor, django_capture_on_commit_callbacks):
    """An account erasure deletes the invitations sent to the person's address; they may be no
    member of the cohort (no grades_version bump there), so the erasure bumps its
    invitations_version: the address never outlives the erasure in a kept page."""
    from privacy import services as privacy_services

    invitee = UserFactory(email="invitee@example.com")
    invitee.set_password("correct horse battery staple")
    invitee.save(update_fields=["password"])
    services.invitation_create(
        cohort=people.cohort, email=invitee.email, role=Membership.Role.STUDENT, invited_by=people.instructor
    )
    assert "invitee@example.com" in fresh(instructor, people)
    assert fast(instructor.get(url(people)))
    with django_capture_on_commit_callbacks(execute=True):
        privacy_services.erasure_request(user=invitee, by=invitee, password="correct horse battery staple")
    later = timezone.now() + privacy_services.grace_period() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(privacy_services.erasures_run_due(now=later)) == 1
    assert "invitee@example.com" not in fresh(instructor, people)
