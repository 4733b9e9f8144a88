"""RSA key files for the tool (the way production configures them: a PEM file path)."""

from pathlib import Path

from jwcrypto import jwk


def write_key(path: Path) -> jwk.JWK:
    key = jwk.JWK.generate(kty="RSA", size=2048)
    path.write_bytes(key.export_to_pem(private_key=True, password=None))
    return key
