"""Single sign-on through the institution's OpenID Connect provider (allauth's openid_connect
provider, configured from OIDC_* variables or as a Social application in the admin)."""

from urllib.parse import urlsplit

from allauth.socialaccount.adapter import get_adapter
from django.conf import settings
from django.http import HttpRequest

# The pages whose form sends the browser on to the provider (allauth's "Continue" page and
# the connections page): their policy must let a form post lead there.
SIGN_ON_PATH_PREFIXES = ("/accounts/oidc/", "/accounts/3rdparty/")


def provider_origins(request: HttpRequest) -> list[str]:
    """The origins a sign-on form may be redirected to: each configured provider's server
    (its issuer, where the authorization endpoint lives), plus OIDC_FORM_ACTION_ORIGINS for a
    provider whose authorization endpoint is on another host."""
    origins = set(settings.OIDC_FORM_ACTION_ORIGINS)
    for app in get_adapter().list_apps(request, provider="openid_connect"):
        parts = urlsplit((app.settings or {}).get("server_url", ""))
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc}")
    return sorted(origins)
