import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()  # allauth keeps its rate-limit counters in the cache
    yield
    cache.clear()


def test_sign_up_uses_email_and_requires_verification(client, course):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "new.learner@example.com",
            "password1": "a sturdy passphrase 42",
            "password2": "a sturdy passphrase 42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.learner@example.com")
    assert user.check_password("a sturdy passphrase 42")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "confirm" in body.lower()
    # Our wording, not allauth's ("Hello from testserver!", "user … has given your address").
    assert body.startswith("Hello from the Backend Engineering: Scalable Architectures course platform.")
    assert "signed up for the course platform with this e-mail address" in body
    assert "/accounts/confirm-email/" in body and "has given your email" not in body
    # Not verified yet, so signing in is held at the verification step.
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "a sturdy passphrase 42"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")


def test_passwords_shorter_than_twelve_characters_are_refused(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "short@example.com", "password1": "Tr1cky!pw", "password2": "Tr1cky!pw"}
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    assert not User.objects.filter(email="short@example.com").exists()


def test_email_is_unique_regardless_of_case(db):
    UserFactory(email="Case@Example.com")
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="CASE@example.com", password="x" * 12)


def test_verified_user_signs_in_with_email(client, db):
    user = UserFactory()
    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_repeated_failed_sign_ins_are_rate_limited(client, db):
    user = UserFactory()
    statuses = [
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong password!"}).status_code
        for _ in range(6)
    ]
    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert statuses[:5] == [200] * 5
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_profile_updates_name_and_validates_time_zone(client_for, db):
    user = UserFactory(time_zone="UTC")
    client = client_for(user)
    response = client.post(reverse("accounts:profile"), {"name": "Grace", "time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert "not a known time zone" in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "UTC"
    response = client.post(reverse("accounts:profile"), {"name": "Grace", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.time_zone) == ("Grace", "Asia/Tokyo")


def test_profile_needs_sign_in(client, db):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _sign_in(client, user):
    # A real sign-in (not force_login), so allauth has the authentication records it checks.
    response = client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    # allauth asks for the password once more before security settings change.
    response = client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("who", ["staff", "instructor"])
def test_staff_and_instructors_must_enrol_a_second_factor(who, client, settings, course):
    settings.MFA_REQUIRED_FOR_STAFF = True
    user = UserFactory(is_staff=True) if who == "staff" else MembershipFactory(role="instructor").user
    _sign_in(client, user)
    response = client.get(reverse("curriculum:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get(reverse("curriculum:home")).status_code == 200


def test_students_are_not_forced_into_a_second_factor(client_for, settings, course):
    settings.MFA_REQUIRED_FOR_STAFF = True
    student = MembershipFactory(role="student").user
    assert client_for(student).get(reverse("curriculum:home")).status_code == 200


def test_two_factor_setup_is_available_to_everyone(client, db):
    response = _sign_in(client, UserFactory()).get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert "authenticator" in response.content.decode().lower()
