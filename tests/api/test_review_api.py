"""Review endpoints: the rubric of a revision, the review queue, recording assessments and
reading them, with the review pages' policies."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cohorts.models import Cohort
from rubrics.models import Assessment, PeerAssignment
from rubrics.selectors import rubric_criteria
from rubrics.services import peer_assign_reviewers, rubric_install_defaults
from submissions import services as submission_services
from submissions.models import WeeklyWork
from tests.factories import MembershipFactory, MentorAssignmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def rubric(course):
    return rubric_install_defaults(course=course)[0]


def submit(student, cohort, number: int = 1):
    week = cohort.course.weeks.get(number=number)
    work = submission_services.work_get_or_create(student=student, cohort=cohort, week=week)
    return submission_services.work_submit(work=work, by=student)


def body(rubric, points: int = 4, **extra) -> dict:
    scores = [
        {"criterion": c.pk, "level": next(lv.pk for lv in c.levels.all() if lv.points == points), "comment": "ok"}
        for c in rubric_criteria(rubric)
    ]
    return {"kind": "mentor", "decision": "accept", "feedback": "Clear and measured.", "scores": scores, **extra}


def post(client, revision, data, **headers):
    url = f"/api/v1/review/revisions/{revision.pk}/assessments/"
    return client.post(url, data, content_type="application/json", headers=headers)


def test_rubric_of_a_revision_lists_criteria_with_levels_best_first(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    data = bearer_client(people.student).get(f"/api/v1/review/revisions/{revision.pk}/rubric/").json()
    assert (data["family"], data["version"]) == (rubric.family, rubric.version)
    assert [c["id"] for c in data["criteria"]] == [c.pk for c in rubric_criteria(rubric)]
    assert [level["points"] for level in data["criteria"][0]["levels"]] == [4, 3, 2, 1]


def test_other_student_cannot_see_the_rubric_or_assessments(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    client = bearer_client(people.other_student)
    assert client.get(f"/api/v1/review/revisions/{revision.pk}/rubric/").status_code == 404
    assert client.get(f"/api/v1/review/revisions/{revision.pk}/assessments/").status_code == 404


def test_queue_lists_revisions_waiting_for_the_mentor(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    submit(people.foreign_student, people.other_cohort)
    rows = bearer_client(people.mentor).get("/api/v1/review/queue/").json()["results"]
    assert [(row["revision_id"], row["student_id"]) for row in rows] == [(revision.pk, people.student.pk)]


def test_queue_is_refused_to_students(people, bearer_client):
    assert bearer_client(people.student).get("/api/v1/review/queue/").status_code == 403


def test_mentor_assessment_scores_and_accepts(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    response = post(bearer_client(people.mentor), revision, body(rubric))
    assert response.status_code == 201, response.content
    assert response.json()["score"] == "100.00"
    assert response.json()["reviewer"] == people.mentor.display_name
    revision.work.refresh_from_db()
    assert revision.work.state == WeeklyWork.State.ACCEPTED


def test_assessment_replays_with_idempotency_key(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    client = bearer_client(people.mentor)
    first = post(client, revision, body(rubric), **{"Idempotency-Key": "a1"})
    again = post(client, revision, body(rubric), **{"Idempotency-Key": "a1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Assessment.objects.filter(revision=revision).count() == 1


def test_level_of_another_criterion_is_a_field_error(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    data = body(rubric)
    data["scores"][1]["level"] = data["scores"][0]["level"]
    response = post(bearer_client(people.mentor), revision, data)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == ["scores.1.level"]


def test_missing_criterion_is_a_field_error(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    data = body(rubric)
    del data["scores"][2]
    response = post(bearer_client(people.mentor), revision, data)
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["scores"]


def test_requesting_changes_needs_feedback(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    response = post(bearer_client(people.mentor), revision, body(rubric, decision="request_changes", feedback=""))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "feedback"
    assert not Assessment.objects.exists()


def test_author_cannot_record_a_mentor_assessment(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    assert post(bearer_client(people.student), revision, body(rubric)).status_code == 403


def test_unassigned_peer_gets_404(people, rubric, bearer_client):
    revision = submit(people.student, people.cohort)
    data = body(rubric, kind="peer", decision="")
    assert post(bearer_client(people.other_student), revision, data).status_code == 404


def _peer_review(people, rubric, bearer_client, *, anonymous: bool):
    revision = submit(people.student, people.cohort)
    now = timezone.now()
    PeerAssignment.objects.create(
        revision=revision,
        reviewer=people.other_student,
        anonymous=anonymous,
        assigned_at=now,
        due_at=now + datetime.timedelta(days=3),
    )
    response = post(bearer_client(people.other_student), revision, body(rubric, 3, kind="peer", decision=""))
    assert response.status_code == 201, response.content
    return revision


def test_author_sees_anonymous_peer_as_numbered_reviewer(people, rubric, bearer_client):
    revision = _peer_review(people, rubric, bearer_client, anonymous=True)
    rows = bearer_client(people.student).get(f"/api/v1/review/revisions/{revision.pk}/assessments/").json()
    assert [(row["kind"], row["reviewer"], row["score"]) for row in rows] == [("peer", "Peer reviewer 1", "75.00")]


def test_mentor_sees_the_peer_reviewers_name(people, rubric, bearer_client):
    revision = _peer_review(people, rubric, bearer_client, anonymous=True)
    rows = bearer_client(people.mentor).get(f"/api/v1/review/revisions/{revision.pk}/assessments/").json()
    assert [row["reviewer"] for row in rows] == [people.other_student.display_name]


def test_peer_reviewer_sees_only_their_own_review(people, rubric, bearer_client):
    revision = _peer_review(people, rubric, bearer_client, anonymous=True)
    post(bearer_client(people.mentor), revision, body(rubric))
    rows = bearer_client(people.other_student).get(f"/api/v1/review/revisions/{revision.pk}/assessments/").json()
    assert [(row["kind"], row["reviewer"]) for row in rows] == [("peer", people.other_student.display_name)]


def test_review_queue_queries(people, rubric, warm_client, django_assert_num_queries):
    for _ in range(30):
        student = MembershipFactory(cohort=people.cohort, role="student").user
        MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor, student=student)
        submit(student, people.cohort)
    client = warm_client(people.mentor)
    # token, my roles, my cohorts and mentees (teaching_scope), works with students, cohorts,
    # weeks and revisions (paged in memory: no count)
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/review/queue/").json()["results"]) == 30


def test_assessments_list_queries(people, rubric, bearer_client, warm_client, django_assert_num_queries):
    revision = _peer_review(people, rubric, bearer_client, anonymous=True)
    for _ in range(5):
        reviewer = MembershipFactory(cohort=people.cohort, role="student").user
        now = timezone.now()
        PeerAssignment.objects.create(
            revision=revision, reviewer=reviewer, assigned_at=now, due_at=now + datetime.timedelta(days=3)
        )
        assert post(bearer_client(reviewer), revision, body(rubric, 2, kind="peer", decision="")).status_code == 201
    client = warm_client(people.student)
    # token, revision with work, my peer assignment, assessments with scorers, scores with criteria and levels
    with django_assert_num_queries(5):
        assert len(client.get(f"/api/v1/review/revisions/{revision.pk}/assessments/").json()) == 6


# --- Peer review: /review/peer/ -------------------------------------------------------------


def _submitted_with_evidence(people):
    week = people.cohort.course.weeks.get(number=1)
    work = submission_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    submission_services.work_save_draft(
        work=work,
        content={"concept": {"text": "The ORM dominates the request path."}, "revision_note": "First try."},
        expected_version=work.draft_version,
        by=people.student,
    )
    upload = SimpleUploadedFile("sam-lastname-k6.txt", b"p95=41ms at 200 req/s\n", content_type="text/plain")
    submission_services.artifact_upload(work=work, upload=upload, proves="The p95 latency", by=people.student)
    submission_services.artifact_add_link(
        work=work, url="https://example.com/trace", proves="The trace", evidence_item="", by=people.student
    )
    revision = submission_services.work_submit(work=work, by=people.student)
    peer_assign_reviewers(revision=revision)  # what the task enqueued by the submit does
    return revision


def test_peer_list_shows_my_assignments_with_due_dates_and_assigns_nothing(people, rubric, bearer_client):
    revision = _submitted_with_evidence(people)
    unassigned = submit(people.student, people.cohort, number=2)  # its task has not run
    rows = bearer_client(people.other_student).get("/api/v1/review/peer/").json()["results"]
    assert not PeerAssignment.objects.filter(revision=unassigned).exists()  # a GET never assigns
    assignment = PeerAssignment.objects.get(revision=revision, reviewer=people.other_student)
    assert [(row["id"], row["revision_id"], row["week"], row["done"], row["overdue"]) for row in rows] == [
        (assignment.pk, revision.pk, 1, False, False)
    ]
    assert rows[0]["due_at"] == assignment.due_at.isoformat().replace("+00:00", "Z")
    assert "student" not in rows[0] and people.student.display_name not in str(rows)


def test_peer_list_shows_done_reviews_after_open_ones(people, rubric, bearer_client):
    done = _peer_review(people, rubric, bearer_client, anonymous=True)
    open_one = submit(people.student, people.cohort, number=2)
    now = timezone.now()
    PeerAssignment.objects.create(
        revision=open_one, reviewer=people.other_student, assigned_at=now, due_at=now - datetime.timedelta(hours=1)
    )
    rows = bearer_client(people.other_student).get("/api/v1/review/peer/").json()["results"]
    assert [(row["revision_id"], row["done"], row["overdue"]) for row in rows] == [
        (open_one.pk, False, True),
        (done.pk, True, False),
    ]
    assert rows[1]["assessment_id"] is not None


def test_peer_review_shows_the_revision_and_evidence_without_the_author(people, rubric, bearer_client):
    revision = _submitted_with_evidence(people)
    client = bearer_client(people.other_student)
    assignment_id = client.get("/api/v1/review/peer/").json()["results"][0]["id"]
    response = client.get(f"/api/v1/review/peer/{assignment_id}/")
    assert response.status_code == 200
    data = response.json()
    assert data["revision_id"] == revision.pk
    assert data["content"]["concept_text"] == "The ORM dominates the request path."
    assert data["content"]["revision_note"] == "First try."
    assert [(e["kind"], e["label"], e["proves"]) for e in data["evidence"]] == [
        ("file", "Evidence file 1", "The p95 latency"),
        ("link", "Link 2", "The trace"),
    ]
    assert data["evidence"][1]["url"] == "https://example.com/trace"
    text = response.content.decode()
    for secret in (people.student.display_name, people.student.email, "sam-lastname"):
        assert secret not in text
    download = client.get(data["evidence"][0]["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "sam-lastname" not in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b"p95=41ms at 200 req/s\n"


def test_someone_elses_peer_assignment_is_404(people, rubric, bearer_client):
    revision = _submitted_with_evidence(people)
    assignment = PeerAssignment.objects.get(revision=revision, reviewer=people.other_student)
    artifact = revision.artifacts.get(kind="file")
    third = MembershipFactory(cohort=people.cohort, role="student").user
    for user in (third, people.student, people.mentor, people.instructor, people.admin, people.stranger):
        client = bearer_client(user)
        assert client.get(f"/api/v1/review/peer/{assignment.pk}/").status_code == 404
        assert client.get(f"/api/v1/review/peer/{assignment.pk}/evidence/{artifact.pk}/").status_code == 404
    assert bearer_client(None).get(f"/api/v1/review/peer/{assignment.pk}/").status_code == 401


def test_peer_evidence_of_another_revision_is_404(people, rubric, bearer_client):
    revision = _submitted_with_evidence(people)
    assignment = PeerAssignment.objects.get(revision=revision, reviewer=people.other_student)
    week = people.cohort.course.weeks.get(number=2)
    elsewhere = submission_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    upload = SimpleUploadedFile("other.txt", b"other\n", content_type="text/plain")
    other = submission_services.artifact_upload(work=elsewhere, upload=upload, proves="x", by=people.student)
    client = bearer_client(people.other_student)
    assert client.get(f"/api/v1/review/peer/{assignment.pk}/evidence/{other.pk}/").status_code == 404


def test_peer_list_queries(people, rubric, warm_client, django_assert_num_queries):
    now = timezone.now()
    for number in range(30):
        author = MembershipFactory(cohort=people.cohort, role="student").user
        revision = submit(author, people.cohort, number=1 + number % 20)
        PeerAssignment.objects.create(
            revision=revision, reviewer=people.other_student, assigned_at=now, due_at=now + datetime.timedelta(days=3)
        )
    people.cohort.peer_reviewers_per_submission = 1
    people.cohort.save(update_fields=["peer_reviewers_per_submission"])
    client = warm_client(people.other_student)
    # token, my assignments with their works, weeks, deliverables and cohorts (paged in
    # memory: no count); reviewers are assigned on submit and by the sweep, never here
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/review/peer/").json()["results"]) == 30


def test_queue_filters_by_cohort_and_overdue(people, rubric, bearer_client):
    MembershipFactory(cohort=people.other_cohort, user=people.mentor, role="mentor")
    MentorAssignmentFactory(cohort=people.other_cohort, mentor=people.mentor, student=people.foreign_student)
    late = submit(people.student, people.cohort)
    # Reviews in people.cohort are due the moment a revision comes in.
    Cohort.objects.filter(pk=people.cohort.pk).update(review_deadline_hours=0)
    fresh = submit(people.foreign_student, people.other_cohort)
    client = bearer_client(people.mentor)

    def ids(**query) -> list[int]:
        response = client.get("/api/v1/review/queue/", query)
        assert response.status_code == 200, response.content
        return [row["revision_id"] for row in response.json()["results"]]

    assert ids() == [late.pk, fresh.pk]
    assert ids(cohort=people.other_cohort.slug) == [fresh.pk]
    assert ids(overdue="true") == [late.pk]
    assert ids(overdue="false", cohort=people.cohort.slug) == []


@pytest.mark.parametrize(("field", "value"), [("overdue", "sometimes"), ("cohort", "not a slug")])
def test_queue_refuses_an_invalid_filter_naming_it(people, bearer_client, field, value):
    response = bearer_client(people.mentor).get("/api/v1/review/queue/", {field: value})
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == [field]
