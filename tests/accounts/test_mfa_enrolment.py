"""Staff and instructors enrol a second factor before using the site (MFA_REQUIRED_FOR_STAFF),
tested through the real sign-in, allauth's enrolment views and the API."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.messages import constants as message_levels
from django.core.cache import cache
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACTIVATE_TOTP = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _second_factor_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    cache.clear()  # allauth keeps its rate-limit counters in the cache
    yield
    cache.clear()


@pytest.fixture
def instructor(course):
    return MembershipFactory(role="instructor").user


def _sign_in(client, user):
    """Signs in through allauth's form with the password, following every redirect."""
    return client.post(reverse("account_login"), {"login": user.email, "password": DEFAULT_PASSWORD}, follow=True)


def _totp_code(secret: str) -> str:
    """RFC 6238 with allauth's defaults (SHA-1, 30-second steps, 6 digits), computed here
    rather than by allauth so the test checks its enrolment against the standard."""
    counter = int(time.time()) // 30
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def test_instructor_signing_in_goes_straight_to_totp_enrolment(client, instructor):
    response = _sign_in(client, instructor)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == ACTIVATE_TOTP
    assert [t.name for t in response.templates][0] == "mfa/totp/activate_form.html"
    assert 'name="code"' in response.content.decode()


def test_enrolment_page_after_sign_in_shows_one_banner(client, instructor):
    response = _sign_in(client, instructor)

    shown = [(m.level, str(m)) for m in response.context["messages"]]
    assert shown == [
        (
            message_levels.WARNING,
            "Your role requires two-factor authentication. Set up an authenticator app to continue.",
        )
    ]


def test_api_tells_an_instructor_without_second_factor_to_enrol(client, instructor):
    _sign_in(client, instructor)

    response = client.get(reverse("api:me"))

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 403
    assert body["code"] == "second_factor_required"
    assert body["title"] == "Forbidden"
    assert ACTIVATE_TOTP in body["detail"]
    assert body["instance"] == reverse("api:me")


def test_instructor_who_enrols_with_a_valid_code_reaches_the_review_queue(client, instructor, settings):
    settings.MFA_TOTP_TOLERANCE = 1  # a code computed at the end of a 30-second step still counts
    page = _sign_in(client, instructor)

    response = client.post(ACTIVATE_TOTP, {"code": _totp_code(page.context["form"].secret)})

    assert response.status_code == 302
    assert Authenticator.objects.filter(user=instructor, type=Authenticator.Type.TOTP).exists()
    review = client.get(reverse("rubrics:queue"))
    assert review.status_code == 200
    assert [t.name for t in review.templates][0] == "rubrics/review_queue.html"
    assert client.get(reverse("api:me")).status_code == 200


def test_enrolled_instructor_is_not_redirected(client, instructor):
    Authenticator.objects.create(user=instructor, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(instructor)

    assert client.get(reverse("rubrics:queue")).status_code == 200
    assert client.get(reverse("api:me")).status_code == 200


def test_student_is_never_sent_to_enrol(client, course):
    student = MembershipFactory(role="student").user

    response = _sign_in(client, student)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("submissions:dashboard")
    assert client.get(reverse("curriculum:home")).status_code == 200
    assert client.get(reverse("api:me")).status_code == 200


def test_sign_in_no_longer_counts_once_allauths_reauthentication_window_has_passed(client, instructor, settings):
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0

    response = _sign_in(client, instructor)

    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))


def test_people_not_forced_to_enrol_still_confirm_their_password_before_changing_factors(client, course):
    student = MembershipFactory(role="student").user
    _sign_in(client, student)

    response = client.get(ACTIVATE_TOTP)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_enrolled_staff_still_confirm_their_password_before_removing_their_factor(client, instructor, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    page = _sign_in(client, instructor)
    client.post(ACTIVATE_TOTP, {"code": _totp_code(page.context["form"].secret)})
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the rest of the session, after allauth's window

    response = client.get(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_staff_without_cohort_role_are_sent_to_enrol_too(client, db):
    staff = UserFactory(is_staff=True)

    response = _sign_in(client, staff)

    assert response.redirect_chain[-1][0] == ACTIVATE_TOTP


def test_the_second_step_of_sign_in_mentions_recovery_codes_and_cancel_is_secondary(client, instructor, settings):
    settings.MFA_TOTP_TOLERANCE = 1
    page = _sign_in(client, instructor)
    assert client.post(ACTIVATE_TOTP, {"code": _totp_code(page.context["form"].secret)}).status_code == 302
    client.post(reverse("account_logout"))

    second_step = _sign_in(client, instructor)
    html = second_step.content.decode()
    assert second_step.redirect_chain[-1][0] == reverse("mfa_authenticate")
    assert "or one of your recovery codes" in html
    assert re.search(r'<button class="button secondary" form="logout-from-stage" type="submit">\s*Cancel', html)
