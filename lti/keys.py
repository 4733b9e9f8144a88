"""The tool's signing keys, from the environment or files, never from the database.

`LTI_PRIVATE_KEY_FILE` (or `LTI_PRIVATE_KEY`, the PEM itself) is the current key: it signs
deep-linking responses and the client assertions of grade passback and roster sync.
`LTI_RETIRING_KEY_FILE` (or `LTI_RETIRING_KEY`) is the previous one, public or private PEM:
it is published in the JWKS but never signs, so a platform that cached our key set keeps
verifying while it refetches (docs/integrations.md, "Key rotation"). A key's `kid` is its
RFC 7638 thumbprint, so the same key always has the same id on every web process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from jwcrypto import jwk


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_pem: str | None
    public_pem: str

    def public_jwk(self) -> dict:
        key = jwk.JWK.from_pem(self.public_pem.encode())
        return {**key.export_public(as_dict=True), "kid": self.kid, "alg": "RS256", "use": "sig"}


def _read(setting_text: str, setting_file: str) -> str | None:
    text = getattr(settings, setting_text, "") or ""
    path = getattr(settings, setting_file, "") or ""
    if text and path:
        raise ImproperlyConfigured(f"Set {setting_text} or {setting_file}, not both.")
    if path:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"{setting_file}: cannot read {path}: {exc}") from exc
    return text or None


def _load(pem: str, setting: str) -> ToolKey:
    try:
        key = jwk.JWK.from_pem(pem.encode())
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{setting} is not a PEM RSA key: {exc}") from exc
    if key.get("kty") != "RSA":
        raise ImproperlyConfigured(f"{setting} must be an RSA key (LTI 1.3 signs with RS256).")
    private = key.export_to_pem(private_key=True, password=None).decode() if key.has_private else None
    return ToolKey(kid=key.thumbprint(), private_pem=private, public_pem=key.export_to_pem().decode())


def _development_key() -> str:
    """With DEBUG and no key configured, one key kept in a file beside the code (never
    committed), so `make run` launches work and survive a restart."""
    path = Path(settings.BASE_DIR) / "var" / "lti-dev-private-key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = jwk.JWK.generate(kty="RSA", size=2048)
        path.write_bytes(key.export_to_pem(private_key=True, password=None))
        path.chmod(0o600)
    return path.read_text()


@functools.cache
def current_key() -> ToolKey | None:
    pem = _read("LTI_PRIVATE_KEY", "LTI_PRIVATE_KEY_FILE")
    if pem is None and settings.DEBUG:
        pem = _development_key()
    if pem is None:
        return None
    key = _load(pem, "LTI_PRIVATE_KEY")
    if key.private_pem is None:
        raise ImproperlyConfigured("LTI_PRIVATE_KEY must be a private key.")
    return key


@functools.cache
def retiring_key() -> ToolKey | None:
    pem = _read("LTI_RETIRING_KEY", "LTI_RETIRING_KEY_FILE")
    if pem is None:
        return None
    key = _load(pem, "LTI_RETIRING_KEY")
    # Only the public half is ever used: the retiring key verifies, it does not sign.
    return ToolKey(kid=key.kid, private_pem=None, public_pem=key.public_pem)


def published_keys() -> list[dict]:
    """The JWKS `keys`: the current key, then the retiring one (if any, and not the same)."""
    keys = [key for key in (current_key(), retiring_key()) if key is not None]
    seen: set[str] = set()
    published = []
    for key in keys:
        if key.kid not in seen:
            seen.add(key.kid)
            published.append(key.public_jwk())
    return published


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs) -> None:
    if setting.startswith("LTI_") or setting == "DEBUG":
        current_key.cache_clear()
        retiring_key.cache_clear()
