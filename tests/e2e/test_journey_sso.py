"""Journey: a person signs in with their institution's account through the real OpenID
Connect redirect flow: the sign-in page offers "Example University", the browser goes to
the provider (node-oidc-provider on localhost), signs in there and comes back signed in to
a new account with the address the provider verified; the next time, the same account."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.sso.identity_provider import PROVIDER_ID, account, identity_provider, sso_settings

from .support import audit, sign_out

CALLBACK = f"/accounts/oidc/{PROVIDER_ID}/login/callback/"


@pytest.fixture
def provider(live_server, settings):
    accounts = {"u-2001": account("lin.zhou@uni.example", name="Lin Zhou")}
    with identity_provider(redirect_uris=[f"{live_server.url}{CALLBACK}"], accounts=accounts) as started:
        settings.SOCIALACCOUNT_PROVIDERS = sso_settings(started)
        # The live server speaks plain HTTP; in production the callback address is https.
        settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http"
        yield started


def _sign_in_through_the_provider(page: Page, provider, *, provider_remembers: bool = False) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name=re.compile("Example University")).click()
    # allauth asks before leaving for the provider (a POST, so a link alone cannot start it).
    continue_button = page.get_by_role("button", name=re.compile("Continue", re.IGNORECASE))
    if continue_button.count():
        continue_button.click()
    if provider_remembers:  # its own session still holds: straight back, no password asked
        return
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.get_by_label("University e-mail").fill("lin.zhou@uni.example")
    page.get_by_label("Password").fill("university-password")
    page.get_by_role("button", name="Sign in to Example University").click()


def test_a_person_signs_in_with_their_institutions_account(page: Page, course, provider, live_server):
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name=re.compile("Example University"))).to_be_visible()
    audit(page, "sign-in page with single sign-on")

    _sign_in_through_the_provider(page, provider)

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    person = User.objects.get(email="lin.zhou@uni.example")
    assert SocialAccount.objects.get(user=person).uid == "u-2001"
    assert person.emailaddress_set.get().verified

    # Signing out here does not sign out at the institution: the next sign-in comes straight
    # back, to the same account.
    sign_out(page)
    _sign_in_through_the_provider(page, provider, provider_remembers=True)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert User.objects.filter(email="lin.zhou@uni.example").count() == 1
