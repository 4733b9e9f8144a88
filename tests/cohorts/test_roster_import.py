"""Roster import from CSV: a preview with per-line results, nothing imported until confirmed,
errors block the import, idempotent on re-run, size limits, formula cells stay text."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts.models import CohortInvitation, Membership, MentorAssignment
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin", "foreign_instructor"]
MANAGERS = {"instructor", "admin"}


def _csv(*lines: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def _upload(client, people, *lines):
    return client.post(reverse("cohorts:roster_import", args=[people.cohort.slug]), {"file": _csv(*lines)})


def _confirm(client, people):
    return client.post(reverse("cohorts:roster_import_confirm", args=[people.cohort.slug]), follow=True)


def _counts(people):
    return (
        Membership.objects.filter(cohort=people.cohort).count(),
        CohortInvitation.objects.filter(cohort=people.cohort).count(),
        MentorAssignment.objects.filter(cohort=people.cohort).count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_managers_import_rosters(role, people, client_for):
    client = client_for(getattr(people, role))
    before = _counts(people)
    page = client.get(reverse("cohorts:roster_import", args=[people.cohort.slug]))
    upload = _upload(client, people, "email,role", "new@example.com,student")
    confirm = client.post(reverse("cohorts:roster_import_confirm", args=[people.cohort.slug]))
    if role in MANAGERS:
        assert page.status_code == 200 and upload.status_code == 200 and confirm.status_code == 302
        assert CohortInvitation.objects.filter(cohort=people.cohort, email="new@example.com").exists()
    else:
        assert page.status_code == upload.status_code == confirm.status_code == 404
        assert _counts(people) == before


def test_roster_import_needs_sign_in(people, client_for):
    response = client_for().get(reverse("cohorts:roster_import", args=[people.cohort.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_preview_lists_every_line_and_imports_nothing(people, client_for, django_assert_num_queries):
    UserFactory(email="known@example.com")
    client = client_for(people.instructor)
    client.get("/")
    before = _counts(people)
    lines = [
        "email,role,name,mentor_email",
        "known@example.com,student,Known Person,",
        "new.mentor@example.com,mentor,New Mentor,",
        "new.student@example.com,student,New Student,new.mentor@example.com",
        f"{people.student.email},student,,",
    ]
    # session, user, cohort, my role x2 (view + manage), the cohort's members, the file's
    # existing accounts, nav roles, saving the session (savepoint, update, release): 11,
    # whatever the file's length
    with django_assert_num_queries(11):
        response = _upload(client, people, *lines)
    html = response.content.decode()
    assert response.status_code == 200
    assert "add (has an account)" in html and html.count("invite by e-mail") == 2 and "already a member" in html
    assert "Import 4 lines" in html
    assert _counts(people) == before


def test_bad_lines_are_reported_with_their_numbers_and_block_the_import(people, client_for, mailoutbox):
    client = client_for(people.instructor)
    response = _upload(
        client,
        people,
        "email,role,name,mentor_email",
        "fine@example.com,student,,",
        "not-an-address,student,,",  # line 3
        "x@example.com,teacher,,",  # line 4
        "fine@example.com,student,,",  # line 5: duplicate
        "y@example.com,student,,nobody@example.com",  # line 6: unknown mentor
        f"{people.foreign_mentor.email},student,,{people.foreign_mentor.email}",  # line 7: mentor of another cohort
        f"{people.mentor.email},student,,",  # line 8: already a mentor
    )
    html = response.content.decode()
    assert "6 lines cannot be imported" in html and "Import " not in html.split("Preview")[1].split("</table>")[1]
    assert '<th scope="row">3</th>' in html and "is not an e-mail address" in html
    assert "unknown role “teacher”" in html
    assert "duplicate of line 2" in html
    assert "mentor nobody@example.com is not a mentor of this cohort nor in the file" in html
    assert f"mentor {people.foreign_mentor.email} is not a mentor of this cohort" in html
    assert "already a mentor in this cohort" in html
    before = _counts(people)
    follow = _confirm(client, people)
    assert "Nothing to import" in follow.content.decode()
    assert _counts(people) == before and not mailoutbox


def test_confirming_imports_and_a_rerun_changes_nothing(
    people, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    known = UserFactory(email="known@example.com")
    client = client_for(people.instructor)
    lines = [
        "Email,Role,Name,Mentor email",
        "Known@Example.com,Student,Known Person,new.mentor@example.com",
        "new.mentor@example.com,mentor,New Mentor,",
        f"new.student@example.com,student,New Student,{people.mentor.email}",
        '=HYPERLINK("http://evil")@example.com,student,,',
    ]
    html = _upload(client, people, *lines).content.decode()
    assert "is not an e-mail address" in html  # a formula is just (invalid) text, shown escaped
    assert "=hyperlink(&quot;http://evil&quot;)@example.com" in html
    lines.pop()
    _upload(client, people, *lines)
    with django_capture_on_commit_callbacks(execute=True):
        done = _confirm(client, people).content.decode()
    assert "1 added, 2 invited" in done
    assert Membership.objects.get(cohort=people.cohort, user=known).role == "student"
    assert {m.to[0] for m in mailoutbox} == {"new.mentor@example.com", "new.student@example.com"}
    invitation = CohortInvitation.objects.get(email="new.student@example.com")
    assert invitation.role == "student" and invitation.mentor_email == people.mentor.email
    assert invitation.name == "New Student"
    before = _counts(people)
    _upload(client, people, *lines)
    again = _confirm(client, people).content.decode()
    assert "Nothing changed" in again
    assert _counts(people) == before and len(mailoutbox) == 2


def test_size_limits_are_clear(people, client_for, settings):
    client = client_for(people.instructor)
    settings.ROSTER_IMPORT_MAX_ROWS = 3
    response = _upload(client, people, "email,role", *(f"p{i}@example.com,student" for i in range(4)))
    assert response.status_code == 400 and "the limit is 3" in response.content.decode()
    settings.ROSTER_IMPORT_MAX_BYTES = 20
    response = _upload(client, people, "email,role", "someone@example.com,student")
    assert response.status_code == 400 and "the limit is 20 bytes" in response.content.decode()
    assert not CohortInvitation.objects.exists()


def test_a_file_without_the_columns_is_refused(people, client_for):
    client = client_for(people.instructor)
    response = _upload(client, people, "address,kind", "a@example.com,student")
    assert response.status_code == 400 and "must name the columns" in response.content.decode()
    bad = client.post(
        reverse("cohorts:roster_import", args=[people.cohort.slug]),
        {"file": SimpleUploadedFile("r.csv", "email,role\n\xff\xfe".encode("latin-1"))},
    )
    assert bad.status_code == 400 and "not UTF-8" in bad.content.decode()
