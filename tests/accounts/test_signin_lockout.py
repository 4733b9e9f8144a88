"""Nobody can lock a person out by failing to sign in as them, while guessing stays limited:
per account and address, per address over all accounts, and per account over unknown places.
The figures of the attack in docs/security.md are these tests."""

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.signin_guard import KNOWN_DEVICE_COOKIE
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKERS = [f"198.51.100.{n}" for n in range(1, 11)]
VICTIM_HOME = "203.0.113.50"
ELEVENTH = "192.0.2.77"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()  # the counters live in the cache
    yield
    cache.clear()


def _sign_in(client: Client, email: str, password: str, address: str):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=address)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _fifty_wrong_passwords_from_ten_addresses(email: str) -> list[int]:
    statuses = []
    for address in ATTACKERS:
        attacker = Client()
        statuses += [_sign_in(attacker, email, f"guess number {n}!", address).status_code for n in range(5)]
    return statuses


def _device_that_signed_in_before(user) -> Client:
    device = Client()
    assert _sign_in(device, user.email, DEFAULT_PASSWORD, VICTIM_HOME).status_code == 302
    assert KNOWN_DEVICE_COOKIE in device.cookies
    device.post(reverse("account_logout"))
    assert not _signed_in(device)
    return device


def test_the_owner_signs_in_from_a_known_device_after_fifty_guesses_from_ten_addresses():
    victim = UserFactory()
    device = _device_that_signed_in_before(victim)
    statuses = _fifty_wrong_passwords_from_ten_addresses(victim.email)
    assert len(statuses) == 50 and set(statuses) == {200}
    response = _sign_in(device, victim.email, DEFAULT_PASSWORD, ELEVENTH)
    assert response.status_code == 302
    assert _signed_in(device)


def test_the_owner_signs_in_from_a_known_address_in_a_new_browser():
    victim = UserFactory()
    _device_that_signed_in_before(victim)
    _fifty_wrong_passwords_from_ten_addresses(victim.email)
    new_browser = Client()
    assert _sign_in(new_browser, victim.email, DEFAULT_PASSWORD, VICTIM_HOME).status_code == 302
    assert _signed_in(new_browser)


def test_distributed_guessing_is_stopped_for_unknown_places_and_the_owner_is_told():
    victim = UserFactory()
    _fifty_wrong_passwords_from_ten_addresses(victim.email)
    # From an eleventh, unknown address even the right password is not checked any more…
    stranger = Client()
    response = _sign_in(stranger, victim.email, DEFAULT_PASSWORD, ELEVENTH)
    assert response.status_code == 200
    assert not _signed_in(stranger)
    assert "only accepts sign-ins from devices and networks it has been used from before" in response.content.decode()
    # …and the owner heard about it once, not once per attempt.
    warnings = [m for m in mail.outbox if m.to == [victim.email]]
    assert len(warnings) == 1
    assert "tried to sign in to your account with a wrong password many times" in warnings[0].body


def test_how_many_guesses_were_checked_at_most():
    """Of the 50 guesses from 10 addresses, only SIGNIN_FAILURES_PER_ACCOUNT (20) reached the
    password check; each address had at most 5 for this account."""
    victim = UserFactory()
    checked = []
    for address in ATTACKERS:
        for n in range(5):
            response = _sign_in(Client(), victim.email, f"guess {n}!", address)
            checked.append("only accepts sign-ins from" not in response.content.decode())
    assert sum(checked) == 20


def test_spraying_forty_accounts_from_one_address_is_limited_per_address():
    accounts = [UserFactory() for _ in range(40)]
    spray = [_sign_in(Client(), user.email, "Summer2026!!", "198.51.100.200") for user in accounts]
    # 20 guesses reach the password check; then the address is refused for every account (our
    # message), and past 30 requests a minute allauth's own per-address limit answers 429.
    refused = [r.status_code == 429 or "from your network" in r.content.decode() for r in spray]
    assert refused == [False] * 20 + [True] * 20
    assert [r.status_code for r in spray[20:30]] == [200] * 10


def test_spraying_does_not_lock_out_someone_with_a_known_device_behind_the_same_address():
    owner = UserFactory()
    device = _device_that_signed_in_before(owner)
    for user in [UserFactory() for _ in range(25)]:
        _sign_in(Client(), user.email, "Summer2026!!", "198.51.100.200")
    assert _sign_in(device, owner.email, DEFAULT_PASSWORD, "198.51.100.200").status_code == 302


def test_a_known_device_still_has_its_own_limit_on_guesses():
    owner = UserFactory()
    device = _device_that_signed_in_before(owner)
    statuses = [
        "Too many failed sign-in attempts from this device"
        in _sign_in(device, owner.email, "wrong again!!", VICTIM_HOME).content.decode()
        for _ in range(11)
    ]
    assert statuses == [False] * 10 + [True]


def test_the_owner_is_told_what_failed_since_the_last_sign_in():
    owner = UserFactory()
    device = _device_that_signed_in_before(owner)
    for address in ATTACKERS[:2]:
        for _ in range(3):
            _sign_in(Client(), owner.email, "not the password", address)
    response = _sign_in(device, owner.email, DEFAULT_PASSWORD, VICTIM_HOME)
    page = device.get(response["Location"], follow=True).content.decode()
    assert "6 attempts to sign in to your account failed" in page
    assert ATTACKERS[0] in page and ATTACKERS[1] in page
    # Told once.
    device.post(reverse("account_logout"))
    _sign_in(device, owner.email, DEFAULT_PASSWORD, VICTIM_HOME)
    assert "attempts to sign in to your account failed" not in device.get("/", follow=True).content.decode()


def test_a_forged_known_device_cookie_counts_for_nothing():
    victim = UserFactory()
    _fifty_wrong_passwords_from_ten_addresses(victim.email)
    forger = Client()
    forger.cookies[KNOWN_DEVICE_COOKIE] = "eyJhIjpbMV19:forged:signature"
    assert _sign_in(forger, victim.email, DEFAULT_PASSWORD, ELEVENTH).status_code == 200
    assert not _signed_in(forger)
