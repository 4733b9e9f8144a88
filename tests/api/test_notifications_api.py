"""Notification endpoints: only your own notifications, as on the notifications page."""

import pytest
from django.utils import timezone

from notifications.models import Notification
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_list_shows_only_my_notifications_newest_first(people, bearer_client):
    older = NotificationFactory(recipient=people.student, title="Older")
    newer = NotificationFactory(recipient=people.student, title="Newer")
    NotificationFactory(recipient=people.other_student, title="Not mine")
    rows = bearer_client(people.student).get("/api/v1/notifications/").json()["results"]
    assert [row["id"] for row in rows] == [newer.pk, older.pk]


def test_list_filters_unread(people, bearer_client):
    unread = NotificationFactory(recipient=people.student)
    NotificationFactory(recipient=people.student, read_at=timezone.now())
    rows = bearer_client(people.student).get("/api/v1/notifications/?unread=true").json()["results"]
    assert [(row["id"], row["is_read"]) for row in rows] == [(unread.pk, False)]


def test_list_pages_with_cursors_without_count(people, bearer_client):
    for _ in range(5):
        NotificationFactory(recipient=people.student)
    client = bearer_client(people.student)
    first = client.get("/api/v1/notifications/?page_size=3").json()
    second = client.get(first["next"]).json()
    assert "count" not in first
    ids = [row["id"] for row in first["results"] + second["results"]]
    assert len(ids) == len(set(ids)) == 5


def test_mark_read_sets_read_at(people, bearer_client):
    notification = NotificationFactory(recipient=people.student)
    response = bearer_client(people.student).post(f"/api/v1/notifications/{notification.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_of_someone_elses_notification_is_404(people, bearer_client):
    notification = NotificationFactory(recipient=people.other_student)
    response = bearer_client(people.student).post(f"/api/v1/notifications/{notification.pk}/read/")
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_touches_only_mine(people, bearer_client):
    for _ in range(3):
        NotificationFactory(recipient=people.student)
    theirs = NotificationFactory(recipient=people.mentor)
    response = bearer_client(people.student).post("/api/v1/notifications/read-all/")
    assert response.json() == {"marked": 3}
    assert not Notification.objects.filter(recipient=people.student, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_only_token_cannot_mark_read(people, bearer_client):
    notification = NotificationFactory(recipient=people.student)
    response = bearer_client(people.student, scope="read").post(f"/api/v1/notifications/{notification.pk}/read/")
    assert response.status_code == 403
    assert response.json()["code"] == "token_read_only"


def test_notifications_list_queries(people, warm_client, django_assert_num_queries):
    for _ in range(120):
        NotificationFactory(recipient=people.student)
    client = warm_client(people.student)
    with django_assert_num_queries(2):  # token, one page of notifications (cursor: no count)
        assert len(client.get("/api/v1/notifications/").json()["results"]) == 50
