"""Personal access tokens: `Authorization: Bearer cpat_<prefix>_<secret>`."""

import hmac

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import PersonalAccessToken
from accounts.services import TOKEN_PREFIX, token_digest, token_touch
from core.compiled_query import STR_STAND_IN, CompiledQuery

# Every API request with a token runs it: compiled to SQL once per process (the ORM's compilation
# cost more than PostgreSQL's answer on the unique prefix index).
TOKEN_BY_PREFIX = CompiledQuery(
    lambda prefix: PersonalAccessToken.objects.select_related("user").filter(prefix=prefix).order_by()[:1],
    stand_in=STR_STAND_IN,
)


class PersonalAccessTokenAuthentication(authentication.BaseAuthentication):
    """Looks the token up by its public prefix, then compares SHA-256 digests in constant
    time. Expired, revoked and unknown tokens, and tokens of deactivated people, all fail
    with the same message, so a client learns nothing about which it was."""

    keyword = "Bearer"
    failure = "The access token is invalid, expired or revoked."

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as “Authorization: Bearer <token>”.")
        try:
            presented = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(self.failure) from exc
        return self.authenticate_token(presented)

    def authenticate_token(self, presented: str):
        found = TOKEN_BY_PREFIX.objects(self.prefix_of(presented))
        return self.authenticate_found(presented, found[0] if found else None)

    def prefix_of(self, presented: str) -> str:
        """The public prefix of a token as presented, which TOKEN_BY_PREFIX looks up."""
        if not presented.startswith(TOKEN_PREFIX) or presented.count("_") < 2:
            raise exceptions.AuthenticationFailed(self.failure)
        return presented[len(TOKEN_PREFIX) :].split("_", 1)[0]

    def authenticate_found(self, presented: str, token: PersonalAccessToken | None):
        """(user, token) when `token`, the row TOKEN_BY_PREFIX found for the presented token's
        prefix (with its user), is that token and may be used now; else AuthenticationFailed.
        Its use is recorded (accounts.services.token_touch)."""
        now = timezone.now()
        if (
            token is None
            or not hmac.compare_digest(token.secret_hash, token_digest(presented))
            or not token.is_usable_at(now)
            or not token.user.is_active
        ):
            raise exceptions.AuthenticationFailed(self.failure)
        token_touch(token=token, moment=now)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.PersonalAccessTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cpat_<prefix>_<secret>",
            "description": "A personal access token created at /accounts/tokens/. Read-only tokens may only "
            "use GET, HEAD and OPTIONS.",
        }
