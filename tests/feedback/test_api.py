"""The threads API: the same policies, anonymity, problem+json errors and idempotency keys."""

import pytest
from django.test import Client
from django.urls import reverse

from feedback import services
from feedback.models import Thread
from tests.factories import PersonalAccessTokenFactory

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    token = PersonalAccessTokenFactory(user=user, scope="read_write")
    return Client(headers={"Authorization": f"Bearer {token.plaintext}"})


def threads_url(revision):
    return reverse("api:v1:revision-thread-list", args=[revision.pk])


def test_create_with_a_quote_lists_it_with_its_anchor(revision, people):
    response = api(people.mentor).post(
        threads_url(revision),
        {"section": "concept", "quote": "The ORM dominates the p95 latency", "body": "Measure it."},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["anchor"]["quote"] == "The **ORM** dominates the p95 latency"
    assert created["anchor"]["field"] == "concept.text"
    listed = api(people.student).get(threads_url(revision)).json()
    assert listed["count"] == 1
    assert listed["results"][0]["comments"][0]["author"] == people.mentor.display_name
    assert listed["results"][0]["can_mark_addressed"] is False  # not revising yet


def test_a_quote_not_found_is_a_400_problem_naming_the_field(revision, people):
    response = api(people.mentor).post(
        threads_url(revision),
        {"section": "concept", "quote": "Not in the text at all", "body": "?"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert any(e.get("field") == "quote" for e in problem.get("errors", [])), problem
    assert not Thread.objects.exists()


def test_over_the_limits_is_a_400_problem(revision, people, settings):
    settings.FEEDBACK_THREADS_PER_REVIEWER = 1
    client = api(people.mentor)
    assert (
        client.post(threads_url(revision), {"section": "lab", "body": "a"}, content_type="application/json").status_code
        == 201
    )
    response = client.post(threads_url(revision), {"section": "lab", "body": "b"}, content_type="application/json")
    assert response.status_code == 400 and "the most one reviewer may" in response.content.decode()
    settings.FEEDBACK_COMMENT_MAX_CHARS = 5
    thread = Thread.objects.get()
    response = client.post(
        reverse("api:v1:thread-replies", args=[thread.pk]), {"body": "too long"}, content_type="application/json"
    )
    assert response.status_code == 400 and "at most 5 characters" in response.content.decode()


def test_an_idempotency_key_opens_one_thread_however_often_it_is_sent(revision, people):
    client = api(people.mentor)
    body = {"section": "lab", "body": "Once"}
    first = client.post(
        threads_url(revision), body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    again = client.post(
        threads_url(revision), body, content_type="application/json", headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Thread.objects.count() == 1


def test_the_api_never_names_an_anonymous_peer_to_the_student_nor_the_student_to_the_peer(revision, people, peer):
    peer_client = api(people.other_student)
    created = peer_client.post(
        threads_url(revision), {"section": "lab", "body": "Baseline?"}, content_type="application/json"
    ).json()
    services.thread_reply(thread=Thread.objects.get(pk=created["id"]), by=people.student, body="Added.")
    seen_by_student = api(people.student).get(threads_url(revision)).content.decode()
    assert "Peer reviewer 1" in seen_by_student
    assert people.other_student.display_name not in seen_by_student
    assert people.other_student.email not in seen_by_student
    seen_by_peer = peer_client.get(reverse("api:v1:thread-detail", args=[created["id"]])).content.decode()
    assert "The author" in seen_by_peer and people.student.display_name not in seen_by_peer


def test_resolve_reopen_and_addressed(revision, people):
    from submissions import services as submission_services

    thread = services.thread_open(revision=revision, by=people.mentor, body="Quantify", section="lab")
    submission_services.work_request_changes(work=revision.work, revision=revision, by=people.mentor)
    student = api(people.student)
    response = student.post(
        reverse("api:v1:thread-addressed", args=[thread.pk]), {"note": "Table added"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "addressed"
    assert student.post(reverse("api:v1:thread-resolve", args=[thread.pk])).status_code == 403
    mentor = api(people.mentor)
    assert mentor.post(reverse("api:v1:thread-resolve", args=[thread.pk])).json()["status"] == "resolved"
    assert mentor.post(reverse("api:v1:thread-reopen", args=[thread.pk])).json()["status"] == "open"
