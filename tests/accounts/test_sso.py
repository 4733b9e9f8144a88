"""Single sign-on through a real OpenID Connect provider (node-oidc-provider on localhost):
the server side of the flow is the real one (discovery, token exchange, JWKS, userinfo); the
browser's part at the provider is played with urllib and a cookie jar."""

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import User
from tests.factories import UserFactory
from tests.factories.accounts import DEFAULT_PASSWORD
from tests.sso.identity_provider import PROVIDER_ID, account, identity_provider, sso_settings

pytestmark = pytest.mark.django_db

CALLBACK = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"
ACCOUNTS = {
    "u-1001": account("ada@uni.example", name="Ada Lovelace"),
    "u-1002": account("grace@uni.example", name="Grace Hopper"),
    "u-1003": account("staff@uni.example", name="Staff Member", amr=["pwd", "otp"]),
    "u-1004": account("unverified@uni.example", verified=False),
}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def provider():
    uris = [f"{scheme}://testserver{CALLBACK}" for scheme in ("http", "https")]
    with identity_provider(redirect_uris=uris, accounts=ACCOUNTS) as started:
        yield started


@pytest.fixture(autouse=True)
def _configured(settings, provider):
    settings.SOCIALACCOUNT_PROVIDERS = sso_settings(provider)


def _at_provider(authorize_url: str, *, email: str, password: str = "university-password") -> str:
    """Sign in at the provider as a browser would; returns the callback URL it sends back."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects())
    url, data = authorize_url, None
    for _ in range(12):
        try:
            with opener.open(urllib.request.Request(url, data=data), timeout=10) as answer:
                page = answer.read().decode()
                assert "Sign in to Example University" in page and "Wrong e-mail" not in page, page
                url = urllib.parse.urljoin(url, f"{urllib.parse.urlsplit(url).path}/login")
                data = urllib.parse.urlencode({"email": email, "password": password}).encode()
                continue
        except urllib.error.HTTPError as redirect:
            assert redirect.code in (302, 303), redirect.read().decode()
            url, data = urllib.parse.urljoin(url, redirect.headers["Location"]), None
        if urllib.parse.urlsplit(url).hostname == "testserver":
            return url
    raise AssertionError(f"the provider never sent the browser back: {url}")


def _sso(client: Client, email: str, *, process: str = "login", **kwargs):
    """The whole round trip; returns the platform's answer to the callback."""
    start = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/", {"process": process})
    assert start.status_code == 302, start.content
    back = urllib.parse.urlsplit(_at_provider(start["Location"], email=email, **kwargs))
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def test_the_sign_in_page_offers_the_institutions_provider(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Example University" in page
    assert f"/accounts/oidc/{PROVIDER_ID}/login/" in page


def test_a_new_person_gets_an_account_with_the_verified_address_and_is_signed_in(client):
    answer = _sso(client, "ada@uni.example")

    assert answer.status_code == 302 and answer["Location"] == "/start/"
    user = User.objects.get(email="ada@uni.example")
    assert int(client.session[SESSION_KEY]) == user.pk
    assert EmailAddress.objects.get(user=user).verified
    link = SocialAccount.objects.get(user=user)
    assert (link.provider, link.uid) == (PROVIDER_ID, "u-1001")
    # The ID token was checked and kept (issuer, audience, signature through the JWKS).
    assert link.extra_data["id_token"]["sub"] == "u-1001"

    # The next sign-in finds the same account by the stable subject, not by the address.
    again = Client()
    assert _sso(again, "ada@uni.example")["Location"] == "/start/"
    assert int(again.session[SESSION_KEY]) == user.pk
    assert User.objects.filter(email="ada@uni.example").count() == 1


def test_an_existing_account_with_the_same_address_is_linked_only_after_its_owner_signs_in(client):
    owner = UserFactory(email="grace@uni.example")

    answer = _sso(client, "grace@uni.example")

    # Not signed in, not linked, no second account. The page is the one any sign-up gets
    # (allauth's enumeration protection: it does not tell a stranger the address is taken).
    assert answer["Location"] == "/accounts/confirm-email/"
    assert SESSION_KEY not in client.session
    assert not SocialAccount.objects.exists()
    assert list(User.objects.filter(email__iexact="grace@uni.example")) == [owner]

    # The owner signs in with their password, then connects the provider.
    signed_in = Client()
    assert signed_in.post("/accounts/login/", {"login": owner.email, "password": DEFAULT_PASSWORD}).status_code == 302
    connected = _sso(signed_in, "grace@uni.example", process="connect")
    assert connected.status_code == 302
    assert SocialAccount.objects.get(uid="u-1002").user == owner

    later = Client()
    _sso(later, "grace@uni.example")
    assert int(later.session[SESSION_KEY]) == owner.pk


def test_staff_with_an_authenticator_still_enter_their_code_after_single_sign_on(client, settings):
    staff = UserFactory(email="staff@uni.example", is_staff=True)
    _link(staff, "u-1003")
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})

    answer = _sso(client, "staff@uni.example")

    assert answer.status_code == 302 and answer["Location"] == "/accounts/2fa/authenticate/"
    assert SESSION_KEY not in client.session


def test_a_second_factor_the_provider_asserts_counts_only_when_the_setting_trusts_it(client, settings):
    settings.OIDC_TRUST_PROVIDER_SECOND_FACTOR = True
    settings.MFA_REQUIRED_FOR_STAFF = True
    staff = UserFactory(email="staff@uni.example", is_staff=True)
    _link(staff, "u-1003")
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})

    answer = _sso(client, "staff@uni.example")  # its ID token says amr: pwd, otp

    assert answer["Location"] == "/start/"
    assert int(client.session[SESSION_KEY]) == staff.pk
    assert client.session["accounts.second_factor_by_provider"] is True


def test_staff_without_a_factor_are_sent_to_enrol_unless_the_provider_asserted_one(client, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    ada = UserFactory(email="ada@uni.example", is_staff=True)
    _link(ada, "u-1001")  # amr: pwd only
    _sso(client, "ada@uni.example")
    assert client.get("/dashboard/")["Location"].startswith("/accounts/2fa/totp/activate")

    settings.OIDC_TRUST_PROVIDER_SECOND_FACTOR = True
    staff = UserFactory(email="staff@uni.example", is_staff=True)
    _link(staff, "u-1003")  # amr: pwd, otp
    trusted = Client()
    _sso(trusted, "staff@uni.example")
    assert int(trusted.session[SESSION_KEY]) == staff.pk
    assert "/2fa/" not in trusted.get("/dashboard/").get("Location", "")
    # A password sign-in in the same browser does not inherit the provider's assertion.
    trusted.post("/accounts/logout/")
    trusted.post("/accounts/login/", {"login": staff.email, "password": DEFAULT_PASSWORD})
    assert trusted.get("/dashboard/")["Location"].startswith("/accounts/2fa/totp/activate")


def test_an_address_the_provider_has_not_verified_must_be_verified_here(client, mailoutbox):
    answer = _sso(client, "unverified@uni.example")

    user = User.objects.get(email="unverified@uni.example")
    assert not EmailAddress.objects.get(user=user).verified
    assert answer["Location"] == "/accounts/confirm-email/"
    assert SESSION_KEY not in client.session
    assert [message.to for message in mailoutbox] == [["unverified@uni.example"]]


def test_a_forged_state_or_a_replayed_answer_is_refused_with_a_page_not_an_error(client):
    start = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/")
    back = urllib.parse.urlsplit(_at_provider(start["Location"], email="ada@uni.example"))
    query = urllib.parse.parse_qs(back.query)
    forged = client.get(CALLBACK, {"code": query["code"][0], "state": "forged"})
    assert forged.status_code == 401
    assert "Third-Party Login Failure" in forged.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(email="ada@uni.example").exists()
    # The genuine answer still works once; replayed, its state and code are used up.
    assert client.get(f"{back.path}?{back.query}")["Location"] == "/start/"
    client.post("/accounts/logout/")
    replay = client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 401 and SESSION_KEY not in client.session


def test_wrong_password_at_the_provider_never_reaches_the_platform(client):
    start = client.post(f"/accounts/oidc/{PROVIDER_ID}/login/")
    with pytest.raises(AssertionError, match="Wrong e-mail or password"):
        _at_provider(start["Location"], email="ada@uni.example", password="wrong")
    assert not User.objects.filter(email="ada@uni.example").exists()


def _link(user, subject: str) -> None:
    SocialAccount.objects.create(user=user, provider=PROVIDER_ID, uid=subject, extra_data={})
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
