"""What the notification pages say: the test e-mail, "mark all as read", the unsubscribe
pages, and e-mail written to files when the environment asks for it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.emails import unsubscribe_token
from notifications.models import Kind, NotificationPreference
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
MARK_ALL = "Mark all as read"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- "Send me a test e-mail" ---------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
def test_test_email_is_sent_even_when_email_for_account_messages_is_off(client_for, django_capture_on_commit_callbacks):
    user = UserFactory()
    services.preference_set(user=user, kind=Kind.SYSTEM, email=False, in_app=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(user).post(reverse("notifications:test_email"))
    assert [m.to for m in mail.outbox] == [[user.email]]
    assert _messages(response) == [f"A test message is on its way to {user.email}."]


def test_test_email_with_email_off_is_sent_once_however_often_the_task_runs():
    user = UserFactory()
    services.preference_set(user=user, kind=Kind.SYSTEM, email=False, in_app=False)
    requested_at = timezone.now().isoformat()
    services.check_email_send(user_id=user.pk, requested_at=requested_at)
    log = services.check_email_send(user_id=user.pk, requested_at=requested_at)
    assert len(mail.outbox) == 1
    assert log.emailed


def test_reminders_still_respect_email_turned_off():
    user = UserFactory()
    services.preference_set(user=user, kind=Kind.SYSTEM, email=False, in_app=True)
    services.notification_send(recipient=user, kind=Kind.SYSTEM, subject_key="job", period_key="1", title="Done")
    assert mail.outbox == []


# --- Mark all as read ------------------------------------------------------------------------


def test_mark_all_as_read_is_offered_only_when_something_is_unread(client_for):
    user = UserFactory()
    notification = NotificationFactory(recipient=user)
    client = client_for(user)
    assert MARK_ALL in client.get(LIST).content.decode()
    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])
    assert MARK_ALL not in client.get(LIST).content.decode()


def test_mark_all_as_read_with_nothing_unread_says_so(client_for):
    user = UserFactory()
    NotificationFactory(recipient=user, read_at=timezone.now())
    response = client_for(user).post(reverse("notifications:read_all"))
    assert _messages(response) == ["Nothing was unread."]


def test_mark_all_as_read_counts_what_it_marked(client_for):
    user = UserFactory()
    NotificationFactory.create_batch(2, recipient=user)
    response = client_for(user).post(reverse("notifications:read_all"))
    assert _messages(response) == ["Marked 2 notifications as read."]


# --- Unsubscribe pages -----------------------------------------------------------------------


def _unsubscribe_url(user, kind=Kind.WEEKLY_DIGEST) -> str:
    return reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kind)])


def test_unsubscribe_link_asks_before_stopping_anything(client_for):
    user = UserFactory(email="ada@example.com")
    html = client_for(None).get(_unsubscribe_url(user)).content.decode()
    assert "Stop “Weekly digest” e-mails to ada@example.com?" in html
    assert "will no longer receive" not in html
    assert "<button" in html
    assert not NotificationPreference.objects.exists()


def test_unsubscribe_link_for_a_kind_already_stopped_says_so(client_for):
    user = UserFactory(email="ada@example.com")
    services.email_unsubscribe(user=user, kinds=(Kind.WEEKLY_DIGEST,))
    html = client_for(None).get(_unsubscribe_url(user)).content.decode()
    assert "E-mails already stopped" in html
    assert "already receives no “Weekly digest” e-mails" in html
    assert f'href="{reverse("notifications:preferences")}"' in html
    assert "<button" not in html.split("<main", 1)[-1]


def test_another_kind_stopped_does_not_count_as_already_stopped(client_for):
    user = UserFactory()
    services.email_unsubscribe(user=user, kinds=(Kind.OVERDUE,))
    html = client_for(None).get(_unsubscribe_url(user)).content.decode()
    assert "already" not in html


def test_done_page_mentions_signing_in_only_to_signed_out_visitors(client_for):
    user = UserFactory()
    signed_out = client_for(None).post(_unsubscribe_url(user)).content.decode()
    assert "E-mails stopped" in signed_out
    assert "you will be asked to sign in" in signed_out
    signed_in = client_for(user).post(_unsubscribe_url(user)).content.decode()
    assert "E-mails stopped" in signed_in
    assert "you will be asked to sign in" not in signed_in


# --- E-mail written to files -----------------------------------------------------------------


def _send_mail_in_a_fresh_process(env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import django;django.setup();from django.core.mail import send_mail;"
        "send_mail('Hello', 'Body', None, ['ada@example.com'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_SETTINGS_MODULE", "EMAIL_FILE_PATH")}
    env.update(
        {
            "DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "courseplatform.settings",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            **env_overrides,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=120
    )


def test_file_email_backend_writes_to_email_file_path_from_the_environment(tmp_path):
    result = _send_mail_in_a_fresh_process({"EMAIL_FILE_PATH": str(tmp_path / "mail")})
    assert result.returncode == 0, result.stderr
    [written] = list((tmp_path / "mail").iterdir())
    assert "To: ada@example.com" in written.read_text()


def test_file_email_backend_without_a_path_stops_start_up():
    result = _send_mail_in_a_fresh_process({})
    assert result.returncode != 0
    assert "EMAIL_FILE_PATH must name a directory" in result.stderr
