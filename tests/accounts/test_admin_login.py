"""Django admin's own login form would take a password directly, skipping allauth's rate
limits and second factor; /admin/login/ must never sign anybody in."""

import pytest
from django.urls import reverse

from tests.factories.accounts import DEFAULT_PASSWORD

ADMIN_LOGIN = "/admin/login/"


def _session_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize("role", ["student", "mentor", "instructor", "stranger"])
def test_signed_in_non_staff_cannot_sign_in_as_staff_through_the_admin_form(role, people, client_for):
    user = getattr(people, role)
    client = client_for(user)
    response = client.post(
        ADMIN_LOGIN, {"username": people.admin.email, "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 403
    assert "no access to the administration" in response.content.decode()
    assert _session_user_id(client) == str(user.pk)  # still themselves, not the admin
    index = client.get("/admin/")
    assert index.status_code == 302 and index["Location"].startswith(ADMIN_LOGIN)


def test_anonymous_post_with_the_right_password_signs_nobody_in(people, client):
    response = client.post(ADMIN_LOGIN, {"username": people.admin.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert _session_user_id(client) is None
    assert client.get("/admin/").status_code == 302


def test_anonymous_visitor_is_sent_to_allauth_with_where_to_go_next(client, db):
    response = client.get(ADMIN_LOGIN + "?next=/admin/curriculum/week/")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/admin/curriculum/week/"


def test_signed_in_staff_goes_on_to_the_page_asked_for(people, client_for):
    client = client_for(people.admin)
    response = client.get(ADMIN_LOGIN + "?next=/admin/curriculum/week/")
    assert response.status_code == 302 and response["Location"] == "/admin/curriculum/week/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"])
def test_an_off_site_next_goes_to_the_admin_index_instead(target, people, client_for):
    response = client_for(people.admin).get(ADMIN_LOGIN, {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
