"""The personal access tokens page: creating a token is POST/redirect/GET, so its secret is
shown on exactly one page view and reloading never creates a second token."""

import pytest
from django.contrib.messages import get_messages

from accounts.models import PersonalAccessToken
from accounts.views import NEW_TOKEN_SESSION_KEY
from tests.factories import PersonalAccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"
NEW_TOKEN = {"name": "grading script", "scope": "read", "expires_in_days": "30"}


def test_creating_a_token_redirects_and_shows_its_secret_on_the_next_view_only(client_for):
    user = UserFactory()
    client = client_for(user)
    response = client.post(TOKENS, NEW_TOKEN)
    assert response.status_code == 302
    assert response["Location"] == TOKENS

    first = client.get(TOKENS)
    assert first["Cache-Control"] == "no-store"
    plaintext = first.context["created"]["plaintext"]
    assert plaintext.startswith("cpat_")
    assert plaintext.encode() in first.content
    assert "Your new token “grading script”" in first.content.decode()

    reloaded = client.get(TOKENS)
    assert reloaded.context["created"] is None
    assert plaintext.encode() not in reloaded.content
    assert b"grading script" in reloaded.content
    assert PersonalAccessToken.objects.filter(user=user).count() == 1


def test_the_secret_leaves_the_session_once_shown(client_for):
    client = client_for(UserFactory())
    client.post(TOKENS, NEW_TOKEN)
    assert NEW_TOKEN_SESSION_KEY in client.session
    client.get(TOKENS)
    assert NEW_TOKEN_SESSION_KEY not in client.session


def test_an_invalid_form_is_shown_again_without_a_redirect(client_for):
    response = client_for(UserFactory()).post(TOKENS, {**NEW_TOKEN, "name": ""})
    assert response.status_code == 200
    assert response.context["created"] is None
    assert not PersonalAccessToken.objects.exists()


def test_revoking_names_the_token_by_name_and_prefix(client_for):
    token = PersonalAccessTokenFactory(name="grading script")
    client = client_for(token.user)
    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"“grading script” (cpat_{token.prefix}…) revoked" in message


def test_nobody_else_can_revoke_a_token(client_for):
    token = PersonalAccessTokenFactory()
    response = client_for(UserFactory()).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
