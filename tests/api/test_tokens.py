"""Personal access tokens: the settings page, storage, and authentication with them."""

import datetime
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import PersonalAccessToken
from accounts.services import token_create
from tests.factories import PersonalAccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db


def _bearer(plaintext: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


def test_tokens_page_needs_sign_in(client_for):
    response = client_for(None).get("/accounts/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_profile_links_to_tokens_page(client_for):
    response = client_for(UserFactory()).get("/accounts/profile/")
    assert b'href="/accounts/tokens/"' in response.content


def test_created_token_is_shown_once_and_stored_only_as_digest(client_for):
    user = UserFactory()
    client = client_for(user)
    created = client.post("/accounts/tokens/", {"name": "Grader", "scope": "read", "expires_in_days": "30"})
    assert created.status_code == 302
    response = client.get(created["Location"])
    assert response["Cache-Control"] == "no-store"
    plaintext = response.context["created"]["plaintext"]
    assert plaintext.startswith("cpat_")
    assert plaintext.encode() in response.content
    token = PersonalAccessToken.objects.get(user=user)
    assert token.secret_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = [str(value) for value in PersonalAccessToken.objects.filter(pk=token.pk).values().get().values()]
    secret = plaintext.split("_", 2)[2]  # cpat_<prefix>_<secret>; the secret itself may contain "_"
    assert not any(plaintext in value or secret in value for value in stored)
    again = client.get("/accounts/tokens/")
    assert plaintext.encode() not in again.content
    assert b"Grader" in again.content


def test_tokens_page_rejects_an_empty_name_next_to_the_field(client_for):
    response = client_for(UserFactory()).post(
        "/accounts/tokens/", {"name": "", "scope": "read", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    assert b'id="id_name_error"' in response.content
    assert not PersonalAccessToken.objects.exists()


def test_owner_revokes_a_token_on_the_page(client_for):
    token = PersonalAccessTokenFactory()
    response = client_for(token.user).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_person_cannot_revoke_a_token(client_for):
    token = PersonalAccessTokenFactory()
    response = client_for(UserFactory()).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_authenticates_its_owner_and_records_use():
    token = PersonalAccessTokenFactory(scope="read")
    response = _bearer(token.plaintext).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == token.user.email
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_read_only_token_is_refused_on_writes():
    token = PersonalAccessTokenFactory(scope="read")
    response = _bearer(token.plaintext).patch("/api/v1/me/", {"name": "New"}, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "token_read_only"


def test_read_write_token_may_write_without_csrf():
    token = PersonalAccessTokenFactory(scope="read_write")
    response = _bearer(token.plaintext).patch("/api/v1/me/", {"name": "New name"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["name"] == "New name"


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": timezone.now() - datetime.timedelta(seconds=1)},
        {"revoked_at": timezone.now()},
    ],
    ids=["expired", "revoked"],
)
def test_expired_and_revoked_tokens_are_refused(change):
    token = PersonalAccessTokenFactory()
    PersonalAccessToken.objects.filter(pk=token.pk).update(**change)
    response = _bearer(token.plaintext).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "authentication_failed"


def test_token_with_a_wrong_secret_is_refused():
    token = PersonalAccessTokenFactory()
    response = _bearer(token.plaintext[:-1] + ("y" if token.plaintext[-1] != "y" else "z")).get("/api/v1/me/")
    assert response.status_code == 401


def test_token_of_a_deactivated_person_is_refused():
    token = PersonalAccessTokenFactory()
    token.user.is_active = False
    token.user.save(update_fields=["is_active"])
    assert _bearer(token.plaintext).get("/api/v1/me/").status_code == 401


def test_malformed_authorization_header_is_refused():
    response = Client(headers={"Authorization": "Bearer two parts"}).get("/api/v1/me/")
    assert response.status_code == 401


def test_token_cannot_create_another_token():
    token = PersonalAccessTokenFactory()
    response = _bearer(token.plaintext).post(
        "/api/v1/tokens/", {"name": "Child", "scope": "read_write"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert PersonalAccessToken.objects.count() == 1


def test_session_creates_token_through_the_api_and_sees_it_once(client_for):
    user = UserFactory()
    client = client_for(user)
    response = client.post(
        "/api/v1/tokens/", {"name": "CLI", "scope": "read", "expires_in_days": 7}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith(body["display_prefix"] + "_")
    listed = client.get("/api/v1/tokens/").json()["results"]
    assert [row["name"] for row in listed] == ["CLI"]
    assert "token" not in listed[0]
    assert _bearer(body["token"]).get("/api/v1/me/").json()["id"] == user.pk


def test_session_writes_to_the_api_need_the_csrf_token():
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch("/api/v1/me/", {"name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_api_revocation_takes_effect_immediately():
    token = PersonalAccessTokenFactory()
    client = _bearer(token.plaintext)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_nobody_revokes_another_persons_token_through_the_api():
    victim = PersonalAccessTokenFactory()
    attacker = PersonalAccessTokenFactory()
    assert _bearer(attacker.plaintext).delete(f"/api/v1/tokens/{victim.pk}/").status_code == 404
    victim.refresh_from_db()
    assert victim.revoked_at is None


def test_token_lifetime_is_capped_at_a_year():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        token_create(
            user=UserFactory(), name="Forever", scope="read", expires_at=timezone.now() + datetime.timedelta(days=366)
        )


def test_api_refuses_an_expiry_beyond_a_year_with_the_field(client_for):
    response = client_for(UserFactory()).post(
        "/api/v1/tokens/", {"name": "Long", "expires_in_days": 400}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "expires_in_days"


def test_token_list_filters_active_tokens():
    token = PersonalAccessTokenFactory()
    PersonalAccessTokenFactory(user=token.user, revoked_at=timezone.now())
    rows = _bearer(token.plaintext).get("/api/v1/tokens/?active=true").json()["results"]
    assert [row["id"] for row in rows] == [token.pk]


def test_admin_lists_tokens_read_only(client_for):
    token = PersonalAccessTokenFactory()
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(admin)
    listing = client.get("/admin/accounts/personalaccesstoken/")
    assert listing.status_code == 200
    assert token.prefix.encode() in listing.content
    assert client.get("/admin/accounts/personalaccesstoken/add/").status_code == 403
