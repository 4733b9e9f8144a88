"""Outside DEBUG, staff and instructors enrol a second factor before using the site; a
personal access token does not get around it."""

from allauth.mfa.models import Authenticator


def test_an_instructor_without_a_second_factor_is_refused_with_a_token(people, bearer_client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    response = bearer_client(people.instructor).get("/api/v1/me/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "second_factor_required"
    assert "/accounts/2fa/totp/activate/" in response.json()["detail"]


def test_after_enrolling_the_token_works(people, bearer_client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    Authenticator.objects.create(user=people.instructor, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert bearer_client(people.instructor).get("/api/v1/me/").status_code == 200


def test_students_and_the_setting_off_are_not_affected(people, bearer_client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    assert bearer_client(people.student).get("/api/v1/me/").status_code == 200
    settings.MFA_REQUIRED_FOR_STAFF = False
    assert bearer_client(people.instructor).get("/api/v1/me/").status_code == 200
