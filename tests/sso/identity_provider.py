"""A real OpenID Connect provider (node-oidc-provider, tests/sso/oidc_idp.mjs) in a child
process on a free localhost port, and the settings that point allauth's openid_connect
provider at it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).with_name("oidc_idp.mjs")
ROOT = SCRIPT.parents[2]
CLIENT_ID = "courseplatform"
CLIENT_SECRET = "a-client-secret-for-the-sso-tests-only"
PROVIDER_ID = "university"
PROVIDER_NAME = "Example University"


@dataclass
class IdentityProvider:
    issuer: str
    process: subprocess.Popen
    accounts: dict = field(default_factory=dict)

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


def account(email: str, *, password: str = "university-password", name: str = "", verified: bool = True, amr=None):
    return {
        "email": email,
        "email_verified": verified,
        "name": name or email.split("@")[0].title(),
        "password": password,
        "amr": amr or ["pwd"],
    }


@contextmanager
def identity_provider(*, redirect_uris: list[str], accounts: dict[str, dict]):
    """Start the provider; yields an IdentityProvider once its discovery document answers."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the SSO tests (the machine's node, see docs/testing.md)"
    config = {
        "port": 0,
        "client": {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris},
        "accounts": accounts,
    }
    environment = {
        "PATH": os.environ["PATH"],
        "IDP_CONFIG": json.dumps(config),
        "NODE_PATH": str(ROOT / "node_modules"),
    }
    # Its warnings (development keys, the in-memory store) go to a file, read only on failure.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        [node, str(SCRIPT)], cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=log, text=True
    )
    try:
        line = process.stdout.readline()  # "listening <issuer>", or nothing when it died
        if not line.startswith("listening "):
            log.seek(0)
            raise AssertionError(f"the identity provider did not start: {line}{log.read()}")
        provider = IdentityProvider(issuer=line.split()[1], process=process, accounts=accounts)
        with urllib.request.urlopen(provider.discovery_url, timeout=10) as answer:
            assert json.load(answer)["issuer"] == provider.issuer
        yield provider
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()


def sso_settings(provider: IdentityProvider) -> dict:
    """SOCIALACCOUNT_PROVIDERS as courseplatform/settings.py builds it from OIDC_* variables."""
    from courseplatform.settings import oidc_providers

    return oidc_providers(
        server_url=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        provider_id=PROVIDER_ID,
        name=PROVIDER_NAME,
    )
