"""Guessing passwords stays limited without letting anyone lock a person out.

allauth's default counts failed sign-ins per account (5 in 5 minutes) *before* it checks the
password, so once a stranger has spent them the right password is refused too, and one
wrong guess a minute keeps a victim out for good. Here failures are counted in layers,
chosen by how much we know about where the attempt comes from:

- a **known device** (a signed cookie this browser got when the person last signed in):
  only that device's own allowance (`SIGNIN_FAILURES_PER_DEVICE`); what strangers do to the
  account elsewhere never locks it;
- a **known address** (one the person signed in from before): the allowance of that address
  and of the account at that address;
- anything else: additionally the account's allowance across all unknown places
  (`SIGNIN_FAILURES_PER_ACCOUNT`), which is what stops a guesser spread over many
  addresses. Every unknown source is also held to a per-address allowance over all accounts
  (`SIGNIN_FAILURES_PER_ADDRESS`), which stops spraying one password over many accounts.

A successful sign-in gives its attempt back (as allauth does), marks the browser and the
address as known, and tells the person how many attempts failed since their last visit.
When the account's allowance runs out, the person is told by e-mail once an hour.

Counters live in the cache (Redis in production, shared by every web process), keyed like
allauth's own (its rate-limit machinery does the counting).
"""

import hashlib
import time
from dataclasses import dataclass

from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase

KNOWN_DEVICE_COOKIE = "known_device"
_DEVICE_SALT = "accounts.signin_guard.known-device"
_DEVICE_ACCOUNTS_KEPT = 5
_KNOWN_ADDRESSES_KEPT = 10
_APP = "accounts.signin"


class SignInRefused(Exception):
    """The attempt was not checked: an allowance is spent. `reason` names which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AttemptSource:
    login: str
    address: str
    device_id: str | None
    user_pk: int | None
    known_device: bool
    known_address: bool


def _login_key(login: str) -> str:
    return hashlib.sha256(login.strip().lower().encode()).hexdigest()


def _device_accounts(request: HttpRequest) -> list[int]:
    value = request.COOKIES.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return []
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=settings.SIGNIN_KNOWN_DEVICE_DAYS * 86400)
    except signing.BadSignature:
        return []
    accounts = data.get("a") if isinstance(data, dict) else None
    return [pk for pk in accounts if isinstance(pk, int)] if isinstance(accounts, list) else []


def _known_addresses_key(user_pk: int) -> str:
    return f"accounts:signin:known-addresses:{user_pk}"


def _failures_key(user_pk: int) -> str:
    return f"accounts:signin:failures:{user_pk}"


def attempt_source(request: HttpRequest, *, login: str, address: str) -> AttemptSource:
    user_pk = get_user_model().objects.filter(email__iexact=login.strip()).values_list("pk", flat=True).first()
    cookie = request.COOKIES.get(KNOWN_DEVICE_COOKIE, "")
    known_device = user_pk is not None and user_pk in _device_accounts(request)
    known_address = user_pk is not None and address in (cache.get(_known_addresses_key(user_pk)) or [])
    return AttemptSource(
        login=login.strip().lower(),
        address=address,
        device_id=hashlib.sha256(cookie.encode()).hexdigest() if known_device else None,
        user_pk=user_pk,
        known_device=known_device,
        known_address=known_address,
    )


def consume_attempt(request: HttpRequest, source: AttemptSource) -> ratelimit.RateLimitUsage:
    """Spend one attempt from each allowance that applies, or raise SignInRefused naming the
    first one that is spent (nothing is spent then)."""
    login = _login_key(source.login)
    if source.known_device:
        layers = [("device", settings.SIGNIN_FAILURES_PER_DEVICE, f"{login}:{source.device_id}")]
    else:
        layers = [
            ("address", settings.SIGNIN_FAILURES_PER_ADDRESS, source.address),
            ("account_address", settings.SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, f"{login}:{source.address}"),
        ]
        if not source.known_address:
            layers.append(("account", settings.SIGNIN_FAILURES_PER_ACCOUNT, login))
    spent: list[ratelimit.SingleRateLimitUsage] = []
    for name, rate, key in layers:
        usage = ratelimit.consume(request, app=_APP, action=name, config={name: f"{rate}/key"}, key=key)
        if not usage:
            for single in spent:
                single.rollback()
            raise SignInRefused(name)
        spent.extend(usage.usage)
    return ratelimit.RateLimitUsage(usage=spent)


def record_failure(source: AttemptSource, *, refused: bool) -> None:
    """Remember what happened to an existing account, to tell its owner at the next sign-in.
    Approximate under concurrency (a lost increment), never blocking."""
    if source.user_pk is None:
        return
    key = _failures_key(source.user_pk)
    tally = cache.get(key) or {"failed": 0, "refused": 0, "addresses": [], "since": time.time()}
    tally["refused" if refused else "failed"] += 1
    if source.address not in tally["addresses"] and len(tally["addresses"]) < 5:
        tally["addresses"].append(source.address)
    cache.set(key, tally, settings.SIGNIN_KNOWN_DEVICE_DAYS * 86400)


def should_warn_by_email(source: AttemptSource) -> bool:
    """The account's own allowance just ran out: tell its owner, once an hour at most."""
    return source.user_pk is not None and cache.add(f"accounts:signin:warned:{source.user_pk}", True, 3600)


def take_failure_tally(user_pk: int) -> dict | None:
    """What failed since the last successful sign-in, forgotten once read."""
    key = _failures_key(user_pk)
    tally = cache.get(key)
    if tally:
        cache.delete(key)
    return tally


def remember_sign_in(request: HttpRequest, response: HttpResponseBase, *, user_pk: int, address: str) -> None:
    """Mark this browser and this address as known for the account."""
    accounts = [pk for pk in _device_accounts(request) if pk != user_pk]
    accounts = [user_pk, *accounts][:_DEVICE_ACCOUNTS_KEPT]
    response.set_cookie(
        KNOWN_DEVICE_COOKIE,
        signing.dumps({"a": accounts}, salt=_DEVICE_SALT),
        max_age=settings.SIGNIN_KNOWN_DEVICE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    key = _known_addresses_key(user_pk)
    addresses = [a for a in (cache.get(key) or []) if a != address]
    cache.set(key, [address, *addresses][:_KNOWN_ADDRESSES_KEPT], settings.SIGNIN_KNOWN_DEVICE_DAYS * 86400)
