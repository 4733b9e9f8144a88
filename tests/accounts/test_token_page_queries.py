"""The personal access tokens page runs the same queries however many tokens it lists."""

import pytest

from tests.factories import PersonalAccessTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKENS = "/accounts/tokens/"


def test_tokens_page_queries(client_for, django_assert_num_queries):
    user = UserFactory()
    PersonalAccessTokenFactory(user=UserFactory())  # someone else's, never listed
    client = client_for(user)
    assert client.get(TOKENS).status_code == 200  # warm: per-process lookups happen once
    for size in (1, 12):
        while len(client.get(TOKENS).context["tokens"]) < size:
            PersonalAccessTokenFactory(user=user)
        # 1 session, 2 user, 3 the user's tokens (newest first), 4 the navigation's roles.
        with django_assert_num_queries(4):
            response = client.get(TOKENS)
        assert len(response.context["tokens"]) == size
