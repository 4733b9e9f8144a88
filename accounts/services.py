import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import PersonalAccessToken, User


@transaction.atomic
def user_update_profile(*, user: User, name: str, time_zone: str) -> User:
    user.name = name
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "time_zone"])
    return user


# --- Personal access tokens ---------------------------------------------------------------

TOKEN_MAX_LIFETIME_DAYS = 365
TOKEN_PREFIX = "cpat_"


def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256 of the whole string, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, scope: str, expires_at: datetime.datetime
) -> tuple[PersonalAccessToken, str]:
    """Create a token and return it with its plaintext, which is never stored nor shown again."""
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > now + datetime.timedelta(days=TOKEN_MAX_LIFETIME_DAYS):
        raise ValidationError({"expires_at": f"A token lives at most {TOKEN_MAX_LIFETIME_DAYS} days."})
    # 48 random bits of public prefix (the lookup key, unique) and 256 bits of secret.
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = PersonalAccessToken(
        user=user,
        name=name.strip(),
        scope=scope,
        expires_at=expires_at,
        prefix=prefix,
        secret_hash=token_digest(plaintext),
    )
    token.full_clean()
    token.save()
    return token, plaintext


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken) -> PersonalAccessToken:
    """Revoke a token at once; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_touch(*, token: PersonalAccessToken, moment: datetime.datetime) -> None:
    """Record use, at most once a minute, so a busy client does not write on every request."""
    if token.last_used_at is None or moment - token.last_used_at > datetime.timedelta(minutes=1):
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=moment)
        token.last_used_at = moment
