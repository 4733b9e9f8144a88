"""Delivering reminders: e-mail through a real SMTP server, in-app notifications,
preferences, and recovery when delivery is interrupted."""

import datetime
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.test import override_settings

from notifications.emails import read_unsubscribe_token
from notifications.models import Kind, Notification, ReminderLog
from notifications.services import notification_send, reminders_deliver, reminders_sweep
from tests.factories import NotificationPreferenceFactory, ReminderLogFactory, UserFactory

WEEK1_DUE = datetime.datetime(2026, 9, 13, 21, 59, tzinfo=datetime.UTC)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port; settings point Django's SMTP backend at it."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            SITE_URL="https://courses.example.org",
        ):
            yield inbox
    finally:
        controller.stop()


def test_reminder_email_reaches_a_real_smtp_server_with_html_text_link_and_unsubscribe(people, smtp_server):
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    received = [m for m in smtp_server.messages if m["To"] == people.student.email]
    assert len(received) == 1
    message = received[0]
    assert message["Subject"] == "[Course platform] Week 1 is due in less than 48 hours"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = f"https://courses.example.org/work/{people.cohort.slug}/weeks/1/"
    assert link in text and f'href="{link}"' in html
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")  # long headers are folded
    assert unsubscribe.startswith("https://courses.example.org/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in text and unsubscribe in html
    token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
    assert read_unsubscribe_token(token) == (people.student.pk, (Kind.DEADLINE_APPROACHING,))


def test_reminder_is_delivered_in_app_and_by_email_once(people):
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=29), kinds=[Kind.DEADLINE_APPROACHING])
    notification = Notification.objects.get(recipient=people.student)
    assert notification.title == "Week 1 is due in less than 48 hours"
    assert notification.url == f"/work/{people.cohort.slug}/weeks/1/"
    assert [m.to for m in mail.outbox].count([people.student.email]) == 1
    assert ReminderLog.objects.get(recipient=people.student).status == ReminderLog.Status.SENT


def test_email_off_keeps_the_in_app_notification(people):
    NotificationPreferenceFactory(user=people.student, kind=Kind.DEADLINE_APPROACHING, email=False)
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert Notification.objects.filter(recipient=people.student).count() == 1
    assert [people.student.email] not in [m.to for m in mail.outbox]
    assert [people.other_student.email] in [m.to for m in mail.outbox]


def test_in_app_off_keeps_the_email(people):
    NotificationPreferenceFactory(user=people.student, kind=Kind.DEADLINE_APPROACHING, in_app=False)
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert not Notification.objects.filter(recipient=people.student).exists()
    assert [people.student.email] in [m.to for m in mail.outbox]


def test_preference_of_one_kind_does_not_silence_another(people):
    NotificationPreferenceFactory(user=people.student, kind=Kind.WEEKLY_DIGEST, email=False, in_app=False)
    reminders_sweep(now=WEEK1_DUE - datetime.timedelta(hours=30), kinds=[Kind.DEADLINE_APPROACHING])
    assert Notification.objects.filter(recipient=people.student, kind=Kind.DEADLINE_APPROACHING).count() == 1


def test_a_reminder_left_pending_by_a_crash_is_delivered_by_the_next_sweep(db):
    log = ReminderLogFactory(status=ReminderLog.Status.PENDING)
    reminders_sweep(now=WEEK1_DUE)
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT
    assert Notification.objects.filter(reminder=log).count() == 1
    assert len(mail.outbox) == 1


def test_a_reminder_claimed_by_a_sweep_that_died_is_retried_after_the_claim_expires(db):
    log = ReminderLogFactory(status=ReminderLog.Status.SENDING, claim_token="dead", claimed_at=WEEK1_DUE)
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(minutes=5))
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENDING  # maybe still being sent by a live sweep
    reminders_sweep(now=WEEK1_DUE + datetime.timedelta(minutes=16))
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT
    assert len(mail.outbox) == 1


def test_retrying_a_delivery_never_shows_the_in_app_notification_twice(db):
    log = ReminderLogFactory(status=ReminderLog.Status.PENDING)
    Notification.objects.create(recipient=log.recipient, kind=log.kind, title=log.title, reminder=log)
    reminders_deliver(now=WEEK1_DUE)
    assert Notification.objects.filter(recipient=log.recipient).count() == 1


@override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_TIMEOUT=2)
def test_smtp_server_down_keeps_the_reminder_pending_then_sends_it(db, smtp_server_port_closed):
    log = ReminderLogFactory(status=ReminderLog.Status.PENDING)
    with override_settings(EMAIL_PORT=smtp_server_port_closed):
        delivered, failed = reminders_deliver(now=WEEK1_DUE)
    log.refresh_from_db()
    assert (delivered, failed) == (0, 1)
    assert log.status == ReminderLog.Status.PENDING and log.attempts == 1
    assert "Connection" in log.last_error or "refused" in log.last_error.lower()
    assert Notification.objects.filter(reminder=log).count() == 1  # the site shows it meanwhile
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        reminders_deliver(now=WEEK1_DUE + datetime.timedelta(minutes=15))
    log.refresh_from_db()
    assert log.status == ReminderLog.Status.SENT
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(reminder=log).count() == 1


@pytest.fixture
def smtp_server_port_closed() -> int:
    return free_port()  # nothing listens there


def test_notification_send_delivers_once_per_subject_and_period(db):
    user = UserFactory()
    for _ in range(3):
        notification_send(
            recipient=user,
            kind=Kind.SYSTEM,
            subject_key="report:7",
            period_key="ready",
            title="Your cohort report is ready",
            url="/reports/7/",
        )
    assert Notification.objects.filter(recipient=user).count() == 1
    assert len(mail.outbox) == 1


WEEK2_OPEN = datetime.datetime(2026, 9, 14, 6, 0, tzinfo=datetime.UTC)  # week 1 overdue, week 2's digest


def test_a_persons_reminders_of_one_sweep_arrive_in_one_email_with_a_way_to_stop_each_kind(people, smtp_server, client):
    reminders_sweep(now=WEEK2_OPEN)
    logs = ReminderLog.objects.filter(recipient=people.student)
    assert sorted(logs.values_list("kind", flat=True)) == [Kind.OVERDUE, Kind.WEEKLY_DIGEST]
    [message] = [m for m in smtp_server.messages if m["To"] == people.student.email]
    assert message["Subject"].startswith("[Course platform] 2 reminders: ")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for log in logs:
        assert log.title in text and log.status == ReminderLog.Status.SENT and log.emailed
    assert "Still missing" in text  # the digest's sections are there too
    assert f'href="https://courses.example.org/work/{people.cohort.slug}/weeks/1/"' in html
    # One link per kind in the message, and one header that stops both.
    links = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Stop ")]
    tokens = [link.rstrip("/").rsplit("/", 1)[1] for link in links]
    assert sorted(read_unsubscribe_token(token) for token in tokens) == sorted(
        [(people.student.pk, (Kind.OVERDUE,)), (people.student.pk, (Kind.WEEKLY_DIGEST,))]
    )
    header = str(message["List-Unsubscribe"]).strip().strip("<>")
    user_id, kinds = read_unsubscribe_token(header.rstrip("/").rsplit("/", 1)[1])
    assert user_id == people.student.pk and sorted(kinds) == [Kind.OVERDUE, Kind.WEEKLY_DIGEST]
    response = client.post(header.removeprefix("https://courses.example.org"))  # the mail client's one click
    assert response.status_code == 200
    assert set(people.student.notification_preferences.filter(email=False).values_list("kind", flat=True)) == {
        Kind.OVERDUE,
        Kind.WEEKLY_DIGEST,
    }


def test_a_kind_whose_email_is_off_is_left_out_of_the_gathered_email(people):
    NotificationPreferenceFactory(user=people.student, kind=Kind.WEEKLY_DIGEST, email=False)
    reminders_sweep(now=WEEK2_OPEN)
    [message] = [m for m in mail.outbox if m.to == [people.student.email]]
    assert message.subject == "[Course platform] Week 1 is overdue"  # alone, so the one-reminder e-mail
    assert Notification.objects.filter(recipient=people.student).count() == 2  # both shown on the site
    assert set(ReminderLog.objects.filter(recipient=people.student).values_list("status", flat=True)) == {"sent"}
