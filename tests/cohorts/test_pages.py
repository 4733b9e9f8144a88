import pytest
from django.urls import reverse

from cohorts.models import Extension, Membership, MentorAssignment
from tests.factories import CohortInvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "student",
    "other_student",
    "mentor",
    "unassigned_mentor",
    "instructor",
    "admin",
    "foreign_mentor",
    "foreign_student",
    "foreign_instructor",
    "stranger",
]
MEMBERS = {"student", "other_student", "mentor", "unassigned_mentor", "instructor", "admin"}
MANAGERS = {"instructor", "admin"}
ROSTER = {"mentor", "unassigned_mentor", "instructor", "admin"}


@pytest.mark.parametrize("role", ROLES)
def test_cohort_page_is_visible_only_to_members(role, people, client_for):
    response = client_for(getattr(people, role)).get(reverse("cohorts:detail", args=[people.cohort.slug]))
    assert response.status_code == (200 if role in MEMBERS else 404)


def test_cohort_page_needs_sign_in(people, client):
    response = client.get(reverse("cohorts:detail", args=[people.cohort.slug]))
    assert response.status_code == 302


@pytest.mark.parametrize("role", sorted(MEMBERS))
def test_roster_and_management_forms_follow_the_role(role, people, client_for):
    html = client_for(getattr(people, role)).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    assert (people.other_student.email in html) == (role in ROSTER)
    assert ("Add a member" in html) == (role in MANAGERS)
    assert people.instructor.display_name in html  # everyone sees who teaches the cohort


def test_an_instructor_is_not_offered_to_remove_themselves(people, client_for):
    html = client_for(people.instructor).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    assert f'aria-label="Remove {people.student.email} from the cohort"' in html
    assert f'aria-label="Remove {people.instructor.email} from the cohort"' not in html


def test_cohort_list_shows_only_my_cohorts(people, client_for):
    html = client_for(people.student).get(reverse("cohorts:list")).content.decode()
    assert people.cohort.name in html
    assert people.other_cohort.name not in html
    admin_html = client_for(people.admin).get(reverse("cohorts:list")).content.decode()
    assert people.cohort.name in admin_html and people.other_cohort.name in admin_html


@pytest.mark.parametrize("role", ROLES)
def test_only_instructors_and_admins_add_members(role, people, client_for):
    newcomer = UserFactory()
    response = client_for(getattr(people, role)).post(
        reverse("cohorts:membership_add", args=[people.cohort.slug]), {"email": newcomer.email, "role": "student"}
    )
    added = Membership.objects.filter(cohort=people.cohort, user=newcomer).exists()
    if role in MANAGERS:
        assert response.status_code == 302 and added
    else:
        assert response.status_code == 404 and not added


def test_adding_an_unknown_email_shows_a_clear_error(people, client_for):
    client = client_for(people.instructor)
    response = client.post(
        reverse("cohorts:membership_add", args=[people.cohort.slug]),
        {"email": "nobody@example.com", "role": "student"},
        follow=True,
    )
    assert "No account uses this e-mail address" in response.content.decode()


def test_instructor_cannot_manage_another_cohort(people, client_for):
    membership = Membership.objects.get(cohort=people.other_cohort, user=people.foreign_student)
    response = client_for(people.instructor).post(
        reverse("cohorts:membership_remove", args=[people.other_cohort.slug, membership.pk])
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_membership_ids_from_another_cohort_are_rejected(people, client_for):
    foreign = Membership.objects.get(cohort=people.other_cohort, user=people.foreign_student)
    response = client_for(people.instructor).post(
        reverse("cohorts:membership_remove", args=[people.cohort.slug, foreign.pk])
    )
    assert response.status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_instructor_assigns_a_mentor_and_grants_an_extension(people, client_for, course):
    client = client_for(people.instructor)
    response = client.post(
        reverse("cohorts:mentor_assign", args=[people.cohort.slug]),
        {"mentor": people.unassigned_mentor.email, "student": people.student.email},
    )
    assert response.status_code == 302
    assert MentorAssignment.objects.filter(mentor=people.unassigned_mentor, student=people.student).exists()

    week = course.weeks.get(number=4)
    response = client.post(
        reverse("cohorts:extension_grant", args=[people.cohort.slug]),
        {
            "extension-student": people.student.email,
            "extension-week": week.pk,
            "extension-due_at": "2026-10-08T12:00",
            "extension-reason": "Family",
        },
        follow=True,
    )
    extension = Extension.objects.get(student=people.student, week=week)
    # 12:00 typed in the cohort's zone (Europe/Berlin, summer time) is 10:00 UTC.
    assert extension.due_at.isoformat() == "2026-10-08T10:00:00+00:00"
    assert "Extended week 4" in response.content.decode()
    html = client_for(people.student).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    assert "extended" in html


def test_an_extension_time_is_read_in_the_cohorts_zone_whatever_the_instructors_own(people, client_for, course):
    """2:30 on 14 March 2027 does not exist in New York (clocks jump from 2:00 to 3:00) but does
    in Berlin, the cohort's zone, where it is 01:30 UTC."""
    people.instructor.time_zone = "America/New_York"
    people.instructor.save(update_fields=["time_zone"])
    assert people.cohort.time_zone == "Europe/Berlin"
    week = course.weeks.get(number=4)
    client_for(people.instructor).post(
        reverse("cohorts:extension_grant", args=[people.cohort.slug]),
        {"extension-student": people.student.email, "extension-week": week.pk, "extension-due_at": "2027-03-14T02:30"},
    )
    extension = Extension.objects.get(student=people.student, week=week)
    assert extension.due_at.isoformat() == "2027-03-14T01:30:00+00:00"


def test_an_extension_before_the_due_date_is_refused_with_a_message(people, client_for, course):
    response = client_for(people.instructor).post(
        reverse("cohorts:extension_grant", args=[people.cohort.slug]),
        {
            "extension-student": people.student.email,
            "extension-week": course.weeks.get(number=4).pk,
            "extension-due_at": "2026-09-01T12:00",
        },
        follow=True,
    )
    assert "must end after the regular due date" in response.content.decode()
    assert not Extension.objects.exists()


def test_mentor_assignment_to_a_foreign_student_is_refused(people, client_for):
    response = client_for(people.instructor).post(
        reverse("cohorts:mentor_assign", args=[people.cohort.slug]),
        {"mentor": people.mentor.email, "student": people.foreign_student.email},
    )
    assert response.status_code == 400
    assert f"No student of this cohort matches “{people.foreign_student.email}”" in response.content.decode()
    assert not MentorAssignment.objects.filter(student=people.foreign_student, mentor=people.mentor).exists()


def test_cohort_page_query_count_does_not_grow_with_the_cohort(people, client_for, django_assert_num_queries):
    for _ in range(60):
        student = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
        MentorAssignment.objects.create(cohort=people.cohort, mentor=people.mentor, student=student)
        CohortInvitationFactory(cohort=people.cohort, invited_by=people.instructor)
    client = client_for(people.instructor)
    # session, user, cohort, my role x2 (the 404 check, then what I may do), schedule weeks,
    # counts per role, one page of people, mentors page (count + rows), students without a
    # mentor, assignments page (count + rows), extensions (a count of none: no rows to read),
    # pending invitations (count + rows), nav roles, the extension form's weeks: 18, whatever
    # the cohort's size (tests/cohorts/test_cohort_page_scale.py pins it at 5 and 200 too)
    with django_assert_num_queries(18):
        response = client.get(reverse("cohorts:detail", args=[people.cohort.slug]))
    assert response.status_code == 200


def test_cohort_list_query_count_is_fixed(people, client_for, django_assert_num_queries):
    for index in range(10):
        MembershipFactory(user=people.instructor, role=Membership.Role.INSTRUCTOR, cohort__slug=f"extra-{index}")
    client = client_for(people.instructor)
    # session, user, nav roles, cohorts with counts, my memberships
    with django_assert_num_queries(5):
        response = client.get(reverse("cohorts:list"))
    assert response.content.decode().count("Instructor") >= 11


@pytest.mark.parametrize(("role", "expected"), [("mentor", 2), ("unassigned_mentor", 0), ("instructor", 2)])
def test_roster_links_to_the_dashboards_the_viewer_may_open(role, expected, people, client_for):
    html = client_for(getattr(people, role)).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    assert html.count(">dashboard</a>") == expected
    if expected:
        url = reverse("submissions:student_dashboard", args=[people.cohort.slug, people.student.pk])
        assert url in html
        assert client_for(getattr(people, role)).get(url).status_code == 200
