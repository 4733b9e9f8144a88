"""Review endpoints: the rubric of a revision, the review queue, recording assessments and
reading them, with the review pages' policies."""

import datetime

import pytest
from django.utils import timezone

from rubrics.models import Assessment, PeerAssignment
from rubrics.selectors import rubric_criteria
from rubrics.services import rubric_install_defaults
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


@pytest.fixture
def warm_client(bearer_client):
    def make(user):
        client = bearer_client(user)
        assert client.get("/api/v1/me/").status_code == 200  # records the token's use now
        return client

    return make


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


def test_review_queue_queries(people, rubric, warm_client, django_assert_max_num_queries):
    for _ in range(30):
        student = MembershipFactory(cohort=people.cohort, role="student").user
        MentorAssignmentFactory(cohort=people.cohort, mentor=people.mentor, student=student)
        submit(student, people.cohort)
    client = warm_client(people.mentor)
    # token, my roles, works with students, cohorts, weeks and revisions (paged in memory: no count)
    with django_assert_max_num_queries(3):
        assert len(client.get("/api/v1/review/queue/").json()["results"]) == 30


def test_assessments_list_queries(people, rubric, bearer_client, warm_client, django_assert_max_num_queries):
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
    with django_assert_max_num_queries(5):
        assert len(client.get(f"/api/v1/review/revisions/{revision.pk}/assessments/").json()) == 6
