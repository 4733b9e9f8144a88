"""Notification pages: list, open, mark all read, preferences, unsubscribe, and the unread
count in the navigation."""

import pytest
from django.urls import reverse

from notifications.emails import unsubscribe_token
from notifications.models import Kind, Notification, NotificationPreference
from tests.factories import NotificationFactory

LIST = reverse("notifications:list")


def test_list_shows_only_my_notifications(people, client_for):
    mine = NotificationFactory(recipient=people.student, title="Week 3 is due in less than 24 hours")
    NotificationFactory(recipient=people.other_student, title="Someone else's reminder")
    response = client_for(people.student).get(LIST)
    assert response.status_code == 200
    assert mine.title in response.content.decode()
    assert "Someone else" not in response.content.decode()


@pytest.mark.parametrize("role", ["other_student", "mentor", "foreign_mentor", "admin", "stranger"])
def test_nobody_else_can_open_my_notification(people, client_for, role):
    notification = NotificationFactory(recipient=people.student)
    response = client_for(getattr(people, role)).post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get(LIST)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_opening_marks_read_and_follows_the_link(people, client_for):
    notification = NotificationFactory(recipient=people.student, url="/cohorts/")
    response = client_for(people.student).post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302 and response["Location"] == "/cohorts/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_opening_never_redirects_off_site(people, client_for):
    notification = NotificationFactory(recipient=people.student, url="https://evil.example/")
    response = client_for(people.student).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == LIST


def test_opening_needs_post(people, client_for):
    notification = NotificationFactory(recipient=people.student)
    assert client_for(people.student).get(reverse("notifications:open", args=[notification.pk])).status_code == 405


def test_mark_all_read_touches_only_my_notifications(people, client_for):
    NotificationFactory.create_batch(3, recipient=people.student)
    theirs = NotificationFactory(recipient=people.other_student)
    client_for(people.student).post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=people.student, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_unread_count_appears_in_the_navigation(people, client_for):
    NotificationFactory.create_batch(3, recipient=people.student)
    NotificationFactory(recipient=people.other_student)
    html = client_for(people.student).get(reverse("cohorts:list")).content.decode()
    assert '<span class="badge-count">3<span class="visually-hidden"> unread</span></span>' in html
    html = client_for(people.mentor).get(reverse("cohorts:list")).content.decode()
    assert "badge-count" not in html


def test_list_is_paginated_with_a_fixed_number_of_queries(people, client_for, django_assert_num_queries):
    NotificationFactory.create_batch(60, recipient=people.student)
    client = client_for(people.student)
    # 1 session, 1 user, 1 navigation (roles and unread count), 1 count for the paginator,
    # 1 page of notifications.
    with django_assert_num_queries(5):
        response = client.get(LIST, {"page": 2})
    assert response.status_code == 200
    assert "Page 2 of 3" in response.content.decode()


def test_preferences_page_saves_choices(people, client_for):
    client = client_for(people.student)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert "Weekly digest" in page.content.decode()
    data = {f"{kind}__{channel}": "on" for kind in Kind.values for channel in ("email", "in_app")}
    del data[f"{Kind.WEEKLY_DIGEST}__email"]
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    digest = NotificationPreference.objects.get(user=people.student, kind=Kind.WEEKLY_DIGEST)
    assert (digest.email, digest.in_app) == (False, True)
    assert NotificationPreference.objects.get(user=people.student, kind=Kind.OVERDUE).email is True


def test_preferences_offer_the_kinds_that_reach_each_role(people, client_for):
    student = client_for(people.student).get(reverse("notifications:preferences")).content.decode()
    assert Kind.OVERDUE.label in student and Kind.REVIEW_WAITING.label not in student
    mentor = client_for(people.mentor).get(reverse("notifications:preferences")).content.decode()
    assert Kind.REVIEW_WAITING.label in mentor and Kind.OVERDUE.label not in mentor
    assert Kind.WEEKLY_DIGEST.label in mentor and Kind.SYSTEM.label in mentor
    newcomer = client_for(people.stranger).get(reverse("notifications:preferences")).content.decode()
    assert Kind.OVERDUE.label in newcomer and Kind.REVIEW_WAITING.label in newcomer


def test_preferences_need_sign_in(client_for):
    assert client_for(None).get(reverse("notifications:preferences")).status_code == 302


def test_unsubscribe_link_shows_a_confirmation_and_changes_nothing_on_get(people, client_for):
    url = reverse("notifications:unsubscribe", args=[unsubscribe_token(people.student, Kind.WEEKLY_DIGEST)])
    response = client_for(None).get(url)
    assert response.status_code == 200
    assert "Weekly digest" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=people.student).exists()


def test_unsubscribe_post_stops_only_that_kind_of_email(people, client_for):
    url = reverse("notifications:unsubscribe", args=[unsubscribe_token(people.student, Kind.WEEKLY_DIGEST)])
    response = client_for(None).post(url)
    assert response.status_code == 200
    preference = NotificationPreference.objects.get(user=people.student)
    assert (preference.kind, preference.email, preference.in_app) == (Kind.WEEKLY_DIGEST, False, True)


def test_one_click_unsubscribe_works_without_a_session_or_csrf_token(people):
    from django.test import Client

    url = reverse("notifications:unsubscribe", args=[unsubscribe_token(people.student, Kind.OVERDUE)])
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=people.student, kind=Kind.OVERDUE).email is False


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: token.replace(token.split(":")[0], "eyJ1IjoxLCJrIjoib3ZlcmR1ZSJ9"),
        lambda token: "not-a-token",
    ],
)
def test_tampered_unsubscribe_links_are_rejected(people, client_for, tamper):
    token = tamper(unsubscribe_token(people.student, Kind.OVERDUE))
    response = client_for(None).post(reverse("notifications:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


@pytest.mark.usefixtures("eager_tasks")
def test_test_email_button_sends_one_message_through_the_queue(people, client_for, django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people.student).post(reverse("notifications:test_email"))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[people.student.email]]
    assert Notification.objects.get(recipient=people.student).kind == Kind.SYSTEM


def test_test_email_needs_post_and_sign_in(client_for, people):
    assert client_for(people.student).get(reverse("notifications:test_email")).status_code == 405
    assert client_for(None).post(reverse("notifications:test_email")).status_code == 302
