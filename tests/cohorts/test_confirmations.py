"""Removing a member, unassigning a mentor and withdrawing an extension ask first (a page
reached by GET that says what will happen; the button POSTs), and removing then re-adding a
student restores their mentor and never touches their work."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from cohorts import services
from cohorts.models import EndedMentorAssignment, Extension, Membership, MentorAssignment
from submissions.models import Retrospective, Revision, RiskEntry, WeeklyWork
from tests.factories import ExtensionFactory, RetrospectiveFactory, RevisionFactory, RiskEntryFactory

pytestmark = pytest.mark.django_db

ROLES = ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin", "foreign_instructor"]
MANAGERS = {"instructor", "admin"}


def _targets(people):
    membership = Membership.objects.get(cohort=people.cohort, user=people.other_student)
    assignment = MentorAssignment.objects.get(cohort=people.cohort, mentor=people.mentor, student=people.student)
    extension = ExtensionFactory(cohort=people.cohort, student=people.student, reason="Illness")
    return {
        "cohorts:membership_remove": (
            membership.pk,
            "Remove member",
            lambda: Membership.objects.filter(pk=membership.pk),
        ),
        "cohorts:mentor_unassign": (
            assignment.pk,
            "Unassign mentor",
            lambda: MentorAssignment.objects.filter(pk=assignment.pk),
        ),
        "cohorts:extension_revoke": (
            extension.pk,
            "Withdraw extension",
            lambda: Extension.objects.filter(pk=extension.pk),
        ),
    }


@pytest.mark.parametrize("name", ["cohorts:membership_remove", "cohorts:mentor_unassign", "cohorts:extension_revoke"])
@pytest.mark.parametrize("role", ROLES)
def test_the_confirmation_page_asks_and_only_the_post_acts(name, role, people, client_for, django_assert_num_queries):
    pk, button, rows = _targets(people)[name]
    url = reverse(name, args=[people.cohort.slug, pk])
    client = client_for(getattr(people, role))
    page = client.get(url)
    assert rows().exists()  # GET never writes
    if role not in MANAGERS:
        assert page.status_code == 404 and client.post(url).status_code == 404
        assert rows().exists()
        return
    html = page.content.decode()
    assert page.status_code == 200 and button in html and 'method="post"' in html
    assert client.post(url).status_code == 302
    assert not rows().exists()


def test_the_confirmation_pages_need_sign_in(people, client_for):
    for name, (pk, _, rows) in _targets(people).items():
        response = client_for().get(reverse(name, args=[people.cohort.slug, pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert rows().exists()


def test_the_confirmation_pages_say_what_will_happen(people, client_for, django_assert_num_queries):
    targets = _targets(people)
    client = client_for(people.instructor)
    client.get("/")  # warm the session
    pk = targets["cohorts:membership_remove"][0]
    # session, user, cohort, my role x2 (view + manage), the membership with its user, nav roles
    with django_assert_num_queries(7):
        html = client.get(reverse("cohorts:membership_remove", args=[people.cohort.slug, pk])).content.decode()
    assert people.other_student.email in html and "work, revisions and feedback are kept" in html
    assert "adding them back restores them" in html
    pk = targets["cohorts:extension_revoke"][0]
    html = client.get(reverse("cohorts:extension_revoke", args=[people.cohort.slug, pk])).content.decode()
    assert "due again at the regular time" in html and "(Europe/Berlin)" in html
    pk = targets["cohorts:mentor_unassign"][0]
    html = client.get(reverse("cohorts:mentor_unassign", args=[people.cohort.slug, pk])).content.decode()
    assert f"Unassign {people.mentor.display_name} from {people.student.display_name}?" in html


def test_the_cohort_page_links_to_the_confirmations_instead_of_acting(people, client_for):
    ExtensionFactory(cohort=people.cohort, student=people.student)
    html = client_for(people.instructor).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    for name in ("membership_remove", "mentor_unassign", "extension_revoke"):
        assert f'<form method="post" action="/cohorts/{people.cohort.slug}/' not in html.split(name)[0][-200:]
    assert f'<a href="/cohorts/{people.cohort.slug}/members/' in html


def _work_snapshot(people):
    return {
        model.__name__: sorted(
            (model_to_dict(row) for row in model.objects.filter(**{field: people.student})), key=lambda d: d["id"]
        )
        for model, field in (
            (WeeklyWork, "student"),
            (Revision, "work__student"),
            (RiskEntry, "student"),
            (Retrospective, "student"),
        )
    }


def test_removing_and_re_adding_a_student_restores_the_mentor_and_keeps_the_work(people, client_for):
    revision = RevisionFactory(work__cohort=people.cohort, work__student=people.student, work__enrolled=False)
    RiskEntryFactory(cohort=people.cohort, student=people.student)
    RetrospectiveFactory(cohort=people.cohort, student=people.student)
    before = _work_snapshot(people)
    assert before["Revision"][0]["id"] == revision.pk
    client = client_for(people.instructor)
    membership = Membership.objects.get(cohort=people.cohort, user=people.student)
    client.post(reverse("cohorts:membership_remove", args=[people.cohort.slug, membership.pk]))
    assert not MentorAssignment.objects.filter(cohort=people.cohort, student=people.student).exists()
    assert EndedMentorAssignment.objects.filter(cohort=people.cohort, student=people.student, mentor=people.mentor)
    assert _work_snapshot(people) == before
    response = client.post(
        reverse("cohorts:membership_add", args=[people.cohort.slug]),
        {"email": people.student.email, "role": "student"},
        follow=True,
    )
    assert f"Restored mentor: {people.mentor.display_name} mentors {people.student.display_name}" in (
        response.content.decode()
    )
    assert MentorAssignment.objects.is_mentor_of(mentor=people.mentor, student=people.student, cohort=people.cohort)
    assert not EndedMentorAssignment.objects.exists()
    assert _work_snapshot(people) == before


def test_a_mentor_who_left_meanwhile_is_not_restored(people):
    student = Membership.objects.get(cohort=people.cohort, user=people.student)
    services.membership_remove(membership=student)
    services.membership_remove(membership=Membership.objects.get(cohort=people.cohort, user=people.mentor))
    services.membership_ensure(cohort=people.cohort, user=people.student, role="student")
    assert not MentorAssignment.objects.filter(cohort=people.cohort, student=people.student).exists()
    # The mentor's return brings back both their students.
    services.membership_ensure(cohort=people.cohort, user=people.mentor, role="mentor")
    assert set(
        MentorAssignment.objects.filter(cohort=people.cohort, mentor=people.mentor).values_list("student", flat=True)
    ) == {people.student.pk, people.other_student.pk}
