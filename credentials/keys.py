"""The issuer's signing key and every key it has signed with, from the settings (the environment
or files), never from the database: a copy of the database alone can forge nothing.

A key's id is `<issuer DID>#<JWK thumbprint>` (RFC 7638), so nothing has to be named or kept in
step: the same key always has the same id, and a credential's `kid` points at the verification
method of the DID document that holds its public key.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

# The algorithm in every header we sign. RFC 9864 deprecates "EdDSA" in favour of the fully
# specified "Ed25519", but wallets and verifiers in use today (and the VC-JOSE examples) know
# "EdDSA"; both name the same signature, and verification accepts either.
SIGNING_ALG = "EdDSA"
ACCEPTED_ALGS = ("EdDSA", "Ed25519")
# joserfc warns on every use of "EdDSA" (RFC 9864); we chose it on purpose, above.
warnings.filterwarnings("ignore", message="EdDSA is deprecated")


@dataclass(frozen=True)
class IssuerKeys:
    did: str
    signing: OKPKey
    retired: tuple[OKPKey, ...]

    def kid(self, key: OKPKey) -> str:
        return f"{self.did}#{key.thumbprint()}"

    @property
    def signing_kid(self) -> str:
        return self.kid(self.signing)

    @property
    def all(self) -> tuple[OKPKey, ...]:
        return (self.signing, *self.retired)

    def public_key_for(self, kid: str) -> OKPKey | None:
        for key in self.all:
            if self.kid(key) == kid:
                return key
        return None


def _read(value: str, path: str, name: str) -> str:
    if value and path:
        raise ImproperlyConfigured(f"Set {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}.") from None
    return value


def _ed25519(key: OKPKey, name: str) -> OKPKey:
    if key.as_dict(private=False).get("crv") != "Ed25519":
        raise ImproperlyConfigured(f"{name}: the key must be an Ed25519 key (OKP, crv Ed25519).")
    return key


def _parse_private(text: str) -> OKPKey:
    text = text.strip()
    try:
        data = json.loads(text) if text.startswith("{") else text
        key = OKPKey.import_key(data)
    except (ValueError, JoseError, TypeError) as exc:
        raise ImproperlyConfigured(f"CREDENTIALS_SIGNING_KEY: not an Ed25519 PEM or JWK ({exc}).") from None
    if not key.is_private:
        raise ImproperlyConfigured("CREDENTIALS_SIGNING_KEY: the signing key needs its private part.")
    return _ed25519(key, "CREDENTIALS_SIGNING_KEY")


def _parse_retired(text: str) -> tuple[OKPKey, ...]:
    if not text.strip():
        return ()
    try:
        data = json.loads(text)
        entries = data["keys"] if isinstance(data, dict) else data
        keys = []
        for entry in entries:
            public = {k: v for k, v in entry.items() if k in ("kty", "crv", "x")}
            keys.append(_ed25519(OKPKey.import_key(public), "CREDENTIALS_RETIRED_KEYS"))
    except (ValueError, KeyError, TypeError, AttributeError, JoseError) as exc:
        raise ImproperlyConfigured(f"CREDENTIALS_RETIRED_KEYS: not a JWK set of Ed25519 keys ({exc}).") from None
    return tuple(keys)


def _derived_from_secret_key(secret: str) -> OKPKey:
    """The development default: a key derived from SECRET_KEY (HKDF-SHA256), so the embedded
    setup signs without any configuration. Production sets a key of its own (check W001)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"courseplatform", info=b"credentials-signing-key").derive(
        secret.encode()
    )
    pem = Ed25519PrivateKey.from_private_bytes(seed).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    return OKPKey.import_key(pem)


@lru_cache(maxsize=8)
def _load(did: str, key: str, key_file: str, retired: str, retired_file: str, secret: str) -> IssuerKeys:
    private_text = _read(key, key_file, "CREDENTIALS_SIGNING_KEY")
    signing = _parse_private(private_text) if private_text.strip() else _derived_from_secret_key(secret)
    old = _parse_retired(_read(retired, retired_file, "CREDENTIALS_RETIRED_KEYS"))
    # The signing key listed as retired too (mid-rotation) appears once.
    old = tuple(k for k in old if k.thumbprint() != signing.thumbprint())
    return IssuerKeys(did=did, signing=signing, retired=old)


def issuer_keys() -> IssuerKeys:
    """The configured keys (read once per distinct configuration, so a test that changes the
    settings gets its own)."""
    return _load(
        settings.CREDENTIALS_ISSUER_DID,
        settings.CREDENTIALS_SIGNING_KEY,
        settings.CREDENTIALS_SIGNING_KEY_FILE,
        settings.CREDENTIALS_RETIRED_KEYS,
        settings.CREDENTIALS_RETIRED_KEYS_FILE,
        settings.SECRET_KEY,
    )


def uses_derived_key() -> bool:
    return not (settings.CREDENTIALS_SIGNING_KEY or settings.CREDENTIALS_SIGNING_KEY_FILE)


def generate_private_jwk() -> dict:
    """A new Ed25519 key as a JWK with its private part (manage.py credentials_keygen)."""
    return OKPKey.generate_key("Ed25519").as_dict(private=True)
