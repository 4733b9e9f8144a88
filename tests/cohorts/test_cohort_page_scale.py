"""The cohort page at any size: every list is paged (50 rows) and searchable, the counts per
role are in the heading, the people pickers are text fields resolved on the server, and the
page's queries and size do not grow with the cohort (issue 18: 5.3 s and 2.8 MB at 3,334)."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import CohortInvitation, Extension, Membership, MentorAssignment
from cohorts.services import cohort_grades_changed, cohort_invitations_changed
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def grow(people, course, n: int, *, prefix: str = "learner") -> list[User]:
    """n more students in the cohort, each mentored by people.mentor, with an extension for
    week 4 and a pending invitation of someone else: every list on the page grows with n."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i:04d}@example.com", name=f"Learner {prefix.title()} {i:04d}") for i in range(n)
    )
    cohort = people.cohort
    Membership.objects.bulk_create(Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users)
    MentorAssignment.objects.bulk_create(
        MentorAssignment(cohort=cohort, mentor=people.mentor, student=u) for u in users
    )
    week = course.weeks.get(number=4)
    due = datetime.datetime(2026, 10, 20, 12, tzinfo=datetime.UTC)
    Extension.objects.bulk_create(Extension(cohort=cohort, student=u, week=week, due_at=due) for u in users)
    expires = timezone.now() + datetime.timedelta(days=14)
    CohortInvitation.objects.bulk_create(
        CohortInvitation(
            cohort=cohort,
            email=f"{prefix}-invitee{i:04d}@example.com",
            role=Membership.Role.STUDENT,
            token_hash=CohortInvitation.hash_token(f"{prefix}-token-{i}"),
            expires_at=expires,
        )
        for i in range(n)
    )
    # bulk_create skips the services, which bump the versions the cached cohort page is keyed
    # by in the same transaction (cohorts/views.py): say what they would have said.
    cohort_grades_changed(cohort_id=cohort.pk)
    cohort_invitations_changed(cohort_id=cohort.pk)
    return users


def page_url(people, **query) -> str:
    url = reverse("cohorts:detail", args=[people.cohort.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


# Per viewer, whatever the cohort's size (5 or 200 students), when the page is made (a miss of
# core.pagecache): the fast path's look (courseplatform/fast_path.py: the session, then the
# user with their membership stamps and unread count in one statement; it finds no entry), then
# the full path: the user again, the stamps again (the page's key, read first), cohort with
# course and the viewer's role (one query: the 404 check and what they may do), schedule weeks,
# counts per role, one page of people (its count is the role counts' sum), and the
# navigation's roles = 9; a student's own extensions in the schedule +1; for the roster
# (mentors, instructors): the mentors page (count + rows), students without a mentor, the
# assignments page (count + rows) = +5, and a mentor's teaching scope (whose dashboards they
# may open) +1; for managers: extensions (count + rows), pending invitations (count + rows),
# the extension form's weeks and the next pending invitation to expire (when the entry ends)
# = +6. Before the page was cached: 10, 15 and 19 (no fast path, no stamps, the role read twice).
BUDGETS = {"student": 10, "mentor": 15, "instructor": 20}
# A repeat is answered before the middleware (courseplatform/fast_path.py): the session row with
# the user, their membership stamps and unread count (one statement, for a session this process
# has seen); then one cache read.
HIT_QUERIES = 1
# A page not kept yet, for a session the fast path has seen: its look is that one statement
# instead of the session's row and then the viewer.
SEEN_SESSION_SAVES = 1


@pytest.mark.parametrize("size", [5, 200])
@pytest.mark.parametrize("role", sorted(BUDGETS))
def test_the_page_does_the_same_queries_at_5_and_200_students(
    role, size, people, course, client_for, django_assert_num_queries
):
    grow(people, course, size)
    client = client_for(getattr(people, role))
    client.get(page_url(people))  # the session's first request settles what it caches
    cache.clear()  # the page is made again: its own cost
    with django_assert_num_queries(BUDGETS[role]):
        response = client.get(page_url(people))
    assert response.status_code == 200 and response.page_cache == "miss"
    with django_assert_num_queries(HIT_QUERIES):
        again = client.get(page_url(people))
    assert again.page_cache_path == "fast" and again.status_code == 200
    html = response.content.decode()
    students = size + 2
    if role == "student":
        assert "Who teaches this cohort: 3 people." in html
        assert "learner0000@example.com" not in html
    else:
        assert f"Students ({students})" in html


@pytest.mark.parametrize("size", [5, 200])
@pytest.mark.parametrize("role", ["foreign_mentor", "foreign_student", "foreign_instructor", "stranger"])
def test_outsiders_get_404_with_a_fixed_number_of_queries(
    role, size, people, course, client_for, django_assert_num_queries
):
    grow(people, course, size)
    client = client_for(getattr(people, role))
    # session, user, cohort, their role in it (none), the 404 page's navigation roles
    with django_assert_num_queries(5):
        response = client.get(page_url(people))
    assert response.status_code == 404


def test_a_search_or_a_role_tab_costs_one_count_and_one_page(people, course, client_for, django_assert_num_queries):
    grow(people, course, 60)
    client = client_for(people.instructor)
    client.get(page_url(people))
    with django_assert_num_queries(BUDGETS["instructor"] + 1):  # the matches' count
        html = client.get(page_url(people, q="LEARNER%20LEARNER%200042")).content.decode()
    assert "learner0042@example.com" in html and "1–1 of 1 matching" in html
    # A tab's count is the role count.
    with django_assert_num_queries(BUDGETS["instructor"] - SEEN_SESSION_SAVES):
        html = client.get(page_url(people, role="mentor")).content.decode()
    assert people.unassigned_mentor.email in html and "learner0001@example.com" not in html


def test_the_page_size_does_not_grow_with_the_cohort(people, course, client_for):
    """At 60 and at 200 students every list is full at 50 rows: the page is the same size but
    for the figures (a few digits)."""
    grow(people, course, 60, prefix="early")
    client = client_for(people.instructor)
    at_60 = len(client.get(page_url(people)).content)
    grow(people, course, 140, prefix="late")
    html = client.get(page_url(people)).content.decode()
    assert abs(len(html.encode()) - at_60) < 200
    assert len(html.encode()) < 150_000
    assert html.count('aria-label="Remove ') == 49  # 50 people, the instructor viewing among them
    assert html.count('aria-label="Unassign ') == 50
    assert html.count('aria-label="Withdraw the extension') == 50
    assert html.count('aria-label="Revoke the invitation') == 50
    assert "<select" not in html.split('id="assign-mentor-heading"')[1].split("</form>")[0]
    assert "Students (202)" in html and "1–50 of 205" in html


def test_the_roster_pages_in_order_and_keeps_the_other_lists_where_they_were(people, course, client_for):
    grow(people, course, 120)
    client = client_for(people.instructor)
    html = client.get(page_url(people, role="student", page=3, apage=2)).content.decode()
    # students by e-mail: learner0000-0119, then the fixture's two person… addresses
    assert "101–122 of 122" in html
    assert "learner0100@example.com" in html and "learner0099@example.com" not in html
    assert "Page 2 of 3" in html  # the assignments stay on their second page
    assert 'href="?role=student&amp;page=2&amp;apage=2#people"' in html
    # A page number past the end shows the last page; garbage shows the first.
    assert "101–122 of 122" in client.get(page_url(people, role="student", page=99)).content.decode()
    assert "1–50 of 122" in client.get(page_url(people, role="student", page="x")).content.decode()


def test_a_mentor_sees_how_many_students_each_mentor_has_and_filters_by_one(people, course, client_for):
    grow(people, course, 3)
    client = client_for(people.unassigned_mentor)
    html = client.get(page_url(people)).content.decode()
    assert "Every student has a mentor." in html
    assert f'href="?mentor={people.mentor.pk}#assignments"' in html
    html = client.get(page_url(people, mentor=people.unassigned_mentor.pk)).content.decode()
    assert "No mentor assignments match." in html
    html = client.get(page_url(people, aq="learner0002")).content.decode()
    assert "mentors Learner Learner 0002" in html and "Learner Learner 0001" not in html.split('id="assignments"')[1]
    assert "Unassign" not in html  # a mentor sees, an instructor manages


def test_students_without_a_mentor_are_counted(people, client_for):
    MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT)
    html = client_for(people.instructor).get(page_url(people)).content.decode()
    assert "1 student has no mentor yet." in html


def test_extensions_and_invitations_are_searchable(people, course, client_for):
    grow(people, course, 70)
    client = client_for(people.instructor)
    html = client.get(page_url(people, eq="0069")).content.decode()
    extensions = html.split('id="extensions"')[1]
    assert "Learner Learner 0069, week 4" in extensions and "1–1 of 1" in extensions
    html = client.get(page_url(people, iq="INVITEE0003")).content.decode()
    invitations = html.split('id="invitations"')[1].split('id="extensions"')[0]
    assert "learner-invitee0003@example.com" in invitations and "learner-invitee0004" not in invitations


# The pickers: a text field the form resolves on the server.


def assign(client, people, mentor: str, student: str):
    return client.post(
        reverse("cohorts:mentor_assign", args=[people.cohort.slug]), {"mentor": mentor, "student": student}
    )


def test_a_mentor_is_assigned_by_e_mail_in_any_case_or_by_part_of_a_name(people, client_for):
    client = client_for(people.instructor)
    newcomer = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="Ada Lovelace").user
    response = assign(client, people, people.unassigned_mentor.email.upper(), "lovelace")
    assert response.status_code == 302
    assert MentorAssignment.objects.filter(mentor=people.unassigned_mentor, student=newcomer).exists()


def test_nobody_and_several_matches_are_form_errors_beside_the_field(people, client_for):
    client = client_for(people.instructor)
    for name in ("Sam Carter", "Sam Vimes"):
        MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name=name)
    response = assign(client, people, "nobody-here", "sam")
    assert response.status_code == 400
    html = response.content.decode()
    assert "No mentor of this cohort matches “nobody-here”." in html
    assert "Several students match “sam”" in html and "be more precise" in html
    assert 'id="id_student_error"' in html and 'value="sam"' in html  # the typed text stays
    assert not MentorAssignment.objects.filter(mentor__email="nobody-here").exists()


def test_an_exact_name_wins_over_longer_names_and_a_student_is_not_a_mentor(people, client_for):
    client = client_for(people.instructor)
    sam = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="Sam").user
    MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="Samira Ahmed")
    assert assign(client, people, people.unassigned_mentor.email, "SAM").status_code == 302
    assert MentorAssignment.objects.filter(mentor=people.unassigned_mentor, student=sam).exists()
    # a student typed in the mentor field is not a mentor of the cohort
    response = assign(client, people, people.student.email, people.other_student.email)
    assert response.status_code == 400
    assert f"No mentor of this cohort matches “{people.student.email}”." in response.content.decode()


def test_an_extension_is_granted_by_part_of_the_students_name(people, client_for, course):
    target = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT, user__name="Grace Hopper").user
    response = client_for(people.instructor).post(
        reverse("cohorts:extension_grant", args=[people.cohort.slug]),
        {
            "extension-student": "hopper",
            "extension-week": course.weeks.get(number=4).pk,
            "extension-due_at": "2026-10-08T12:00",
        },
    )
    assert response.status_code == 302
    assert Extension.objects.get(cohort=people.cohort).student == target


def test_a_foreign_student_cannot_be_given_an_extension(people, client_for, course):
    response = client_for(people.instructor).post(
        reverse("cohorts:extension_grant", args=[people.cohort.slug]),
        {
            "extension-student": people.foreign_student.email,
            "extension-week": course.weeks.get(number=4).pk,
            "extension-due_at": "2026-10-08T12:00",
        },
    )
    assert response.status_code == 400
    assert f"No student of this cohort matches “{people.foreign_student.email}”." in response.content.decode()
    assert not Extension.objects.exists()


# The suggestions behind the pickers' <datalist>.

SEES_ROSTER = {"mentor", "unassigned_mentor", "instructor", "admin"}


@pytest.mark.parametrize(
    "role",
    [
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
    ],
)
def test_suggestions_are_for_those_who_see_the_roster(role, people, client_for):
    url = reverse("cohorts:people_search", args=[people.cohort.slug])
    response = client_for(getattr(people, role)).get(url, {"q": people.student.email[:6], "role": "student"})
    if role in SEES_ROSTER:
        assert response.status_code == 200
        assert {"email": people.student.email, "name": people.student.display_name} in response.json()["results"]
    else:
        assert response.status_code == 404


def test_suggestions_need_sign_in(people, client):
    response = client.get(reverse("cohorts:people_search", args=[people.cohort.slug]), {"q": "person"})
    assert response.status_code == 302


def test_suggestions_are_ten_of_the_role_asked_and_need_two_characters(
    people, course, client_for, django_assert_num_queries
):
    grow(people, course, 30)
    client = client_for(people.instructor)
    url = reverse("cohorts:people_search", args=[people.cohort.slug])
    client.get(url)
    # session, user, cohort, role (404 check), role (roster), the first ten matches
    with django_assert_num_queries(6):
        results = client.get(url, {"q": "LEARNER", "role": "student"}).json()["results"]
    assert [r["email"] for r in results] == [f"learner{i:04d}@example.com" for i in range(10)]
    assert client.get(url, {"q": "learner", "role": "mentor"}).json()["results"] == []
    assert client.get(url, {"q": "l", "role": "student"}).json()["results"] == []
    assert client.get(url, {"q": "learner", "role": "pilot"}).json()["results"] == []


def test_a_stranger_added_by_e_mail_keeps_the_add_form_working(people, client_for):
    """The add-member form is unchanged: an unknown address is a form error beside its field."""
    response = client_for(people.instructor).post(
        reverse("cohorts:membership_add", args=[people.cohort.slug]), {"email": "nobody@example.com", "role": "mentor"}
    )
    assert response.status_code == 400
    assert "No account uses this e-mail address" in response.content.decode()
    assert not User.objects.filter(email="nobody@example.com").exists()
