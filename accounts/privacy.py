"""What accounts holds about a person (see core.privacy): the profile, e-mail addresses,
second factors, single sign-on links and API tokens.

Erasure keeps the user row (every record the person authored points at it, and cohort
statistics group by it) but turns it into a pseudonym: no name, an address at the reserved
`.invalid` domain, no usable password, inactive, so nobody can sign in as it and its old
sessions end (their hash no longer matches the password).
"""

import uuid

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from core.privacy import DataProvider, Erasure, ExportArchive

from .models import PersonalAccessToken, User

ERASED_EMAIL_DOMAIN = "erased.invalid"


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "profile.json",
        {
            "id": user.pk,
            "email": user.email,
            "name": user.name,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "is_staff": user.is_staff,
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("pk")
            ],
            "second_factors": [
                {"type": a.type, "created_at": a.created_at.isoformat(), "last_used_at": _iso(a.last_used_at)}
                for a in Authenticator.objects.filter(user=user).order_by("pk")
            ],
            "single_sign_on": [
                {
                    "provider": a.provider,
                    "subject": a.uid,
                    "linked_at": a.date_joined.isoformat(),
                    "last_login": _iso(a.last_login),
                }
                for a in SocialAccount.objects.filter(user=user).order_by("pk")
            ],
            "api_tokens": [
                {
                    "name": t.name,
                    "prefix": t.prefix,
                    "scope": t.scope,
                    "created_at": t.created_at.isoformat(),
                    "expires_at": t.expires_at.isoformat(),
                    "last_used_at": _iso(t.last_used_at),
                    "revoked_at": _iso(t.revoked_at),
                }
                for t in PersonalAccessToken.objects.filter(user=user)
            ],
        },
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _erase(erasure: Erasure) -> None:
    user: User = erasure.user
    erasure.count("api tokens", PersonalAccessToken.objects.filter(user=user).delete()[0])
    erasure.count("e-mail addresses", EmailAddress.objects.filter(user=user).delete()[0])
    erasure.count("second factors", Authenticator.objects.filter(user=user).delete()[0])
    # The provider's subject and what it sent about the person (SocialToken rows go with it).
    erasure.count("single sign-on links", SocialAccount.objects.filter(user=user).delete()[0])
    # The admin's change log keeps who changed what, but not the person's name as it was.
    user_type = ContentType.objects.get_for_model(User)
    erasure.count(
        "admin log entries renamed",
        LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(
            object_repr=erasure.pseudonym, change_message=""
        ),
    )
    user.name = erasure.pseudonym
    user.email = f"erased-{uuid.uuid4().hex}@{ERASED_EMAIL_DOMAIN}"
    user.time_zone = "UTC"
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    user.save(
        update_fields=["name", "email", "time_zone", "is_active", "is_staff", "is_superuser", "last_login", "password"]
    )
    user.groups.clear()
    user.user_permissions.clear()
    erasure.count("accounts pseudonymised", 1)


PROVIDER = DataProvider(
    label="Account and profile",
    models=(
        "accounts.User",
        "accounts.PersonalAccessToken",
        "account.EmailAddress",
        "mfa.Authenticator",
        "socialaccount.SocialAccount",
        "socialaccount.SocialToken",
        "admin.LogEntry",
    ),
    export=_export,
    erase=_erase,
)
