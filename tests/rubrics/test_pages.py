"""The review pages per role, and the whole loop through HTTP: a mentor scores and requests
changes, the student revises, the mentor sees the previous feedback and accepts, two peers
review, the student reads everything, the instructor exports the gradebook."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from rubrics.models import Assessment, PeerAssignment
from rubrics.services import assessment_record
from rubrics.tasks import assign_missing_peer_reviewers
from submissions.models import WeeklyWork
from tests.factories import MembershipFactory

from .conftest import post_data, scores_for, submit

pytestmark = pytest.mark.django_db

ALLOWED_TO_SCORE = ["mentor", "instructor", "admin"]
NOT_ALLOWED_TO_SCORE = ["unassigned_mentor", "foreign_mentor", "foreign_instructor", "other_student", "stranger"]


@pytest.mark.parametrize("role", ALLOWED_TO_SCORE)
def test_scoring_page_opens_for_assigned_mentor_instructor_and_admin(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    page = client_for(getattr(people, role)).get(reverse("rubrics:score", args=[revision.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<h1") == 1
    assert "<fieldset" in body and "Architecture-level decision quality" in body
    assert 'type="radio"' in body


@pytest.mark.parametrize("role", [*NOT_ALLOWED_TO_SCORE, "student"])
def test_scoring_page_is_404_for_everyone_else(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    url = reverse("rubrics:score", args=[revision.pk])
    client = client_for(getattr(people, role))
    assert client.get(url).status_code == 404
    assert client.post(url, post_data(rubric, 4, decision="accept")).status_code == 404
    assert not Assessment.objects.exists()


def test_anonymous_is_sent_to_sign_in(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    for url in (reverse("rubrics:queue"), reverse("rubrics:score", args=[revision.pk])):
        response = client_for(None).get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bad_scoring_post_shows_errors_and_saves_nothing(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    data = post_data(rubric, 3, decision="accept")
    missing = next(k for k in data if k.startswith("criterion_"))
    del data[missing]
    response = client_for(people.mentor).post(reverse("rubrics:score", args=[revision.pk]), data)
    assert response.status_code == 400
    assert "Choose a level for" in response.content.decode()
    assert not Assessment.objects.exists()
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.SUBMITTED


def test_review_queue_lists_oldest_first_with_waiting_time_and_overdue_mark(people, rubric, client_for):
    now = timezone.now()
    old = submit(people.student, people.cohort, 1, now=now - datetime.timedelta(hours=80))
    new = submit(people.other_student, people.cohort, 1, now=now - datetime.timedelta(hours=3))
    body = client_for(people.mentor).get(reverse("rubrics:queue")).content.decode()
    first, second = (
        body.index(reverse("rubrics:score", args=[old.pk])),
        body.index(reverse("rubrics:score", args=[new.pk])),
    )
    assert first < second
    assert body.count('badge danger">Overdue') == 1
    assert "3 d 8 h" in body and "3 h" in body


def test_review_queue_per_role(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    score_url = reverse("rubrics:score", args=[revision.pk])
    for role in ("mentor", "instructor", "admin"):
        assert score_url in client_for(getattr(people, role)).get(reverse("rubrics:queue")).content.decode()
    for role in ("unassigned_mentor", "foreign_mentor", "foreign_instructor"):
        page = client_for(getattr(people, role)).get(reverse("rubrics:queue"))
        assert page.status_code == 200 and score_url not in page.content.decode()
    response = client_for(people.student).get(reverse("rubrics:queue"))
    assert response.status_code == 302 and response["Location"] == reverse("rubrics:peer_queue")


@pytest.mark.parametrize("role", ["student", "mentor", "instructor", "admin"])
def test_feedback_page_for_the_author_and_their_reviewers(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    assert client_for(getattr(people, role)).get(reverse("rubrics:feedback", args=[revision.pk])).status_code == 200


@pytest.mark.parametrize("role", ["other_student", "foreign_mentor", "unassigned_mentor", "foreign_student"])
def test_students_never_see_other_students_feedback(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 3),
        feedback="x",
        decision="accept",
    )
    assert client_for(getattr(people, role)).get(reverse("rubrics:feedback", args=[revision.pk])).status_code == 404


def test_author_adds_a_self_assessment(people, rubric, client_for):
    revision = submit(people.student, people.cohort)
    client = client_for(people.student)
    response = client.post(reverse("rubrics:feedback", args=[revision.pk]), post_data(rubric, 3))
    assert response.status_code == 302
    assert Assessment.objects.get().kind == Assessment.Kind.SELF
    assert client_for(people.mentor).post(reverse("rubrics:feedback", args=[revision.pk]), {}).status_code == 404


def test_gradebook_per_role(people, rubric, client_for):
    url = reverse("insights:gradebook", args=[people.cohort.slug])
    submit(people.student, people.cohort)
    for role in ("instructor", "admin", "mentor"):
        page = client_for(getattr(people, role)).get(url)
        assert page.status_code == 200
        assert people.student.display_name in page.content.decode()
    mentor_view = client_for(people.unassigned_mentor).get(url).content.decode()
    assert people.student.display_name not in mentor_view  # mentors see only their own students
    for role in ("student", "other_student", "foreign_mentor", "foreign_instructor", "stranger"):
        assert client_for(getattr(people, role)).get(url).status_code == 404
        csv_url = reverse("reports:gradebook_csv", args=[people.cohort.slug])
        assert client_for(getattr(people, role)).get(csv_url).status_code == 404


@pytest.mark.parametrize("role", ["student", "mentor", "instructor"])
def test_progress_page_for_the_student_and_their_teachers(people, rubric, client_for, role):
    revision = submit(people.student, people.cohort)
    assessment_record(
        revision=revision,
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, [4, 3, 2, 3, 4]),
        feedback="",
        decision="accept",
    )
    page = client_for(getattr(people, role)).get(
        reverse("rubrics:progress", args=[people.cohort.slug, people.student.pk])
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and 'role="img"' in body
    assert "<td>100.0%</td>" in body and "<td>50.0%</td>" in body  # the data table behind the chart


@pytest.mark.parametrize("role", ["other_student", "unassigned_mentor", "foreign_mentor"])
def test_progress_page_is_404_for_others(people, client_for, role):
    url = reverse("rubrics:progress", args=[people.cohort.slug, people.student.pk])
    assert client_for(getattr(people, role)).get(url).status_code == 404


def test_full_feedback_and_revision_loop_through_the_browser(people, rubric, client_for):
    third = MembershipFactory(cohort=people.cohort, role=Membership.Role.STUDENT).user
    mentor, student = client_for(people.mentor), client_for(people.student)

    first = submit(people.student, people.cohort)
    response = mentor.post(
        reverse("rubrics:score", args=[first.pk]),
        post_data(rubric, 2, decision="request_changes", feedback="Compare **two** options with numbers."),
    )
    assert response.status_code == 302
    first.work.refresh_from_db()
    assert first.work.state == WeeklyWork.State.CHANGES_REQUESTED

    feedback = student.get(reverse("rubrics:feedback", args=[first.pk])).content.decode()
    assert "Compare <strong>two</strong> options with numbers." in feedback

    second = submit(people.student, people.cohort, note="Added the cache option and its cost.")
    page = mentor.get(reverse("rubrics:score", args=[second.pk])).content.decode()
    assert "Added the cache option and its cost." in page  # the revision note says what changed
    assert "Feedback on revision 1" in page and "Compare <strong>two</strong>" in page  # previous feedback beside
    assert "Changes since revision 1" in page

    response = mentor.post(reverse("rubrics:score", args=[second.pk]), post_data(rubric, 4, decision="accept"))
    assert response.status_code == 302
    second.work.refresh_from_db()
    assert second.work.state == WeeklyWork.State.ACCEPTED

    # Two peers review the accepted revision (the scheduled sweep assigned them).
    assign_missing_peer_reviewers()
    assignments = list(PeerAssignment.objects.filter(revision=second))
    assert {a.reviewer for a in assignments} == {people.other_student, third}
    for a in assignments:
        response = client_for(a.reviewer).post(reverse("rubrics:peer_review", args=[a.pk]), post_data(rubric, 3))
        assert response.status_code == 302

    body = student.get(reverse("rubrics:feedback", args=[second.pk])).content.decode()
    assert "Peer reviewer 1" in body and "Peer reviewer 2" in body and "100.00 / 100" in body

    # The instructor exports the gradebook: the page's cells, one per week (the gradebook
    # report's document; before one export path it had three columns per week).
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="gradebook-{people.cohort.slug}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    header, by_email = rows[0], {r[1]: r for r in rows[1:]}
    assert header[:4] == ["Student", "Email", "W1", "W2"] and header[-1] == "Accepted"
    assert by_email[people.student.email][2] == "accepted · 100 · late"  # the fixture cohort is long past
    assert by_email[people.student.email][-1] == "1"
    # Nothing submitted and long past due: the page and the export both say "Missing" (the
    # export said "not_started" while the page said "Missing").
    assert by_email[people.other_student.email][2] == "missing"


def test_gradebook_csv_never_starts_a_cell_with_a_formula(people, rubric, client_for):
    people.student.name = '=HYPERLINK("http://evil.example")'
    people.student.save(update_fields=["name"])
    response = client_for(people.instructor).get(reverse("reports:gradebook_csv", args=[people.cohort.slug]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example")' in names
    assert not any(name.startswith("=") for name in names)


def test_workspace_and_revision_pages_link_to_the_revision_feedback(people, rubric, client_for):
    from django.urls import reverse

    from .conftest import submit

    revision = submit(people.student, people.cohort)
    client = client_for(people.student)
    feedback_url = reverse("rubrics:feedback", args=[revision.pk])
    assert feedback_url in client.get(reverse("submissions:work", args=[revision.work_id])).content.decode()
    page = client.get(reverse("submissions:revision", args=[revision.work_id, revision.number])).content.decode()
    assert feedback_url in page
    assert client.get(feedback_url).status_code == 200
