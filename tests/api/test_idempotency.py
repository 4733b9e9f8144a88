"""Idempotency-Key on creating POSTs (here: adding a cohort member), replayed and raced."""

import datetime
import json
import os
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import IdempotencyRecord
from api.services import idempotency_records_purge
from cohorts.models import Membership
from tests.factories import PersonalAccessTokenFactory, UserFactory


def _add(client: Client, slug: str, email: str, key: str | None, role: str = "student"):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/v1/cohorts/{slug}/memberships/",
        {"email": email, "role": role},
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def instructor_client(people, bearer_client):
    return bearer_client(people.instructor)


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_and_creates_nothing(people, instructor_client):
    newcomer = UserFactory()
    first = _add(instructor_client, people.cohort.slug, newcomer.email, "key-1")
    Membership.objects.filter(cohort=people.cohort, user=newcomer).delete()  # a replay must not re-add
    second = _add(instructor_client, people.cohort.slug, newcomer.email, "key-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert not Membership.objects.filter(cohort=people.cohort, user=newcomer).exists()


@pytest.mark.django_db
def test_same_body_in_another_key_order_counts_as_the_same_request(people, instructor_client):
    newcomer = UserFactory()
    url = f"/api/v1/cohorts/{people.cohort.slug}/memberships/"
    headers = {"Idempotency-Key": "k"}
    first = json.dumps({"email": newcomer.email, "role": "student"})
    reordered = json.dumps({"role": "student", "email": newcomer.email}, indent=2)
    instructor_client.post(url, first, content_type="application/json", headers=headers)
    again = instructor_client.post(url, reordered, content_type="application/json", headers=headers)
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_same_key_with_another_body_is_refused(people, instructor_client):
    _add(instructor_client, people.cohort.slug, UserFactory().email, "key-2")
    other = UserFactory()
    response = _add(instructor_client, people.cohort.slug, other.email, "key-2")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_reused"
    assert not Membership.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_same_key_on_another_endpoint_is_refused(people, instructor_client):
    _add(instructor_client, people.cohort.slug, UserFactory().email, "key-3")
    response = instructor_client.post(
        f"/api/v1/cohorts/{people.cohort.slug}/mentor-assignments/",
        {"mentor": people.unassigned_mentor.pk, "student": people.student.pk},
        content_type="application/json",
        headers={"Idempotency-Key": "key-3"},
    )
    assert response.status_code == 422


@pytest.mark.django_db
def test_keys_belong_to_one_person(people, bearer_client):
    newcomer = UserFactory()
    _add(bearer_client(people.instructor), people.cohort.slug, newcomer.email, "shared")
    response = _add(bearer_client(people.admin), people.cohort.slug, UserFactory().email, "shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


@pytest.mark.django_db
def test_a_failed_request_frees_its_key_for_a_retry(people, instructor_client):
    email = "later@example.com"
    refused = _add(instructor_client, people.cohort.slug, email, "key-4")
    assert refused.status_code == 400
    UserFactory(email=email)
    retried = _add(instructor_client, people.cohort.slug, email, "key-4")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried


@pytest.mark.django_db
def test_an_unusable_key_is_a_field_error(people, instructor_client):
    response = _add(instructor_client, people.cohort.slug, UserFactory().email, "k" * 256)
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "Idempotency-Key", "message": "Use 1 to 255 printable characters."}]


@pytest.mark.django_db
def test_a_request_still_running_answers_409_with_retry_after(people, instructor_client):
    newcomer = UserFactory()
    first = _add(instructor_client, people.cohort.slug, newcomer.email, "key-5")
    # Marked unfinished again, the record stands for a first request still running.
    IdempotencyRecord.objects.filter(key="key-5").update(response_status=None, created_at=timezone.now())
    response = _add(instructor_client, people.cohort.slug, newcomer.email, "key-5")
    assert first.status_code == 201
    assert response.status_code == 409
    assert response["Retry-After"] == "1"
    assert response.json()["code"] == "idempotency_request_in_progress"


@pytest.mark.django_db
def test_an_abandoned_claim_is_taken_over_after_five_minutes(people, instructor_client):
    newcomer = UserFactory()
    _add(instructor_client, people.cohort.slug, newcomer.email, "crashed")
    Membership.objects.filter(user=newcomer).delete()
    IdempotencyRecord.objects.filter(key="crashed").update(
        response_status=None, created_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    response = _add(instructor_client, people.cohort.slug, newcomer.email, "crashed")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Membership.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
def test_purge_deletes_records_older_than_a_day(people, instructor_client):
    _add(instructor_client, people.cohort.slug, UserFactory().email, "old")
    _add(instructor_client, people.cohort.slug, UserFactory().email, "new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_a_retry_while_the_first_request_runs_gets_409_then_the_replay(people):
    """The first request is held inside its action (just before it inserts the membership,
    after it claimed the key) while the same key arrives again from another thread: 409.
    Once the first finishes, the same key replays its response. Deterministic on both
    SQLite and PostgreSQL."""
    token = PersonalAccessTokenFactory(user=people.instructor)
    newcomer = UserFactory()
    inside_action, release = threading.Event(), threading.Event()
    first = []

    def hold_before_membership_insert(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "cohorts_membership"'):
            inside_action.set()
            release.wait(timeout=10)
        return execute(sql, params, many, context)

    def first_request():
        try:
            with connection.execute_wrapper(hold_before_membership_insert):
                client = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
                first.append(_add(client, people.cohort.slug, newcomer.email, "slow"))
        finally:
            connection.close()

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert inside_action.wait(timeout=10)
        client = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
        during = _add(client, people.cohort.slug, newcomer.email, "slow")
    finally:
        release.set()
        thread.join(timeout=30)
    after = _add(client, people.cohort.slug, newcomer.email, "slow")

    assert during.status_code == 409
    assert first[0].status_code == 201
    assert after.status_code == 201 and after["Idempotent-Replayed"] == "true"
    assert after.json() == first[0].json()
    assert Membership.objects.filter(cohort=people.cohort, user=newcomer).count() == 1


def _database_is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_two_threads_racing_with_one_key_create_exactly_one_membership(people):
    """Both threads start together; exactly one runs the action, the other gets the replay
    (the first had finished) or 409 (it was still running).

    On PostgreSQL the two requests truly race (CI runs it there and fails loudly if it is
    not). SQLite's in-memory test database cannot hold two concurrent writers at all (it
    answers "table is locked" rather than waiting), so there the threads take turns per
    request and the test checks that the second one is answered from the first."""
    if os.environ.get("CI") == "true":
        assert _database_is_postgresql(), (
            "In CI this race test must run on PostgreSQL: set DATABASE_URL=postgres://… (see .ci/run)."
        )
    one_at_a_time = threading.Lock() if not _database_is_postgresql() else None
    token = PersonalAccessTokenFactory(user=people.instructor)
    rounds = 5
    newcomers = [UserFactory() for _ in range(rounds)]
    for round_number, newcomer in enumerate(newcomers):
        barrier = threading.Barrier(2)
        responses = []
        errors = []

        def post(newcomer=newcomer, round_number=round_number, barrier=barrier, responses=responses, errors=errors):
            try:
                client = Client(headers={"Authorization": f"Bearer {token.plaintext}"})
                barrier.wait(timeout=10)
                if one_at_a_time is None:
                    responses.append(_add(client, people.cohort.slug, newcomer.email, f"race-{round_number}"))
                else:
                    with one_at_a_time:
                        responses.append(_add(client, people.cohort.slug, newcomer.email, f"race-{round_number}"))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        statuses = sorted(response.status_code for response in responses)
        executed = [r for r in responses if r.status_code == 201 and not r.has_header("Idempotent-Replayed")]
        assert len(executed) == 1, statuses
        assert statuses in ([201, 201], [201, 409]), statuses
        assert Membership.objects.filter(cohort=people.cohort, user=newcomer).count() == 1
        assert IdempotencyRecord.objects.filter(key=f"race-{round_number}").count() == 1
