"""Issued credentials verified by an independent verifier: a Node.js script using panva's `jose`
(not joserfc, which signs them), run as a separate process on the credential file alone. It
resolves the issuer's did:web over HTTP from a live server, checks the signature with the key
the DID document publishes, then fetches and checks the signed status list and reads the
credential's bit."""

import base64
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from credentials import documents, services
from credentials.signing import payload_of
from portfolios import services as portfolio_services

SCRIPT = Path(__file__).with_name("verify_vc.mjs")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(live_server, settings):
    """The site's address and DID are the live server's, as in production they are the site's."""
    settings.SITE_URL = live_server.url
    settings.CREDENTIALS_ISSUER_DID = f"did:web:127.0.0.1%3A{urlsplit(live_server.url).port}"
    return live_server


def _verify(tmp_path, text: str, name: str = "credential.jwt") -> tuple[int, dict]:
    node = shutil.which("node")
    assert node, "Node.js is needed for the independent verifier (docs/testing.md)"
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run([node, str(SCRIPT), str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout.splitlines()[-1])


def _tampered(token: str, change) -> str:
    header, _, signature = token.split(".")
    vc = payload_of(token)
    change(vc)
    body = base64.urlsafe_b64encode(json.dumps(vc).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def test_jose_in_node_verifies_what_we_issue_and_sees_the_revocation(served, people, published, tmp_path, settings):
    _, entries = published
    credential = services.credential_claim(entry=entries[0], by=people.student)
    code, result = _verify(tmp_path, credential.jwt)
    assert (code, result["valid"], result["signature"], result["revoked"]) == (0, True, True, False), result
    assert result["issuer"] == settings.CREDENTIALS_ISSUER_DID
    # The .json download (an enveloped credential) too.
    code, result = _verify(tmp_path, json.dumps(documents.enveloped(credential.jwt)), "credential.json")
    assert code == 0 and result["valid"], result

    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    code, result = _verify(tmp_path, credential.jwt)
    assert (code, result["signature"], result["revoked"], result["valid"]) == (1, True, True, False), result


@pytest.mark.parametrize(
    "change",
    [
        lambda vc: vc.update(name="Week 24: Principal engineer"),
        lambda vc: vc["evidence"][1].update(digestSRI=documents.sri_sha256("ab" * 32)),
        lambda vc: vc["credentialStatus"].update(statusListIndex="0"),
        lambda vc: vc["credentialSubject"]["achievement"]["criteria"].update(narrative="- Anything"),
    ],
    ids=["name", "evidence digest", "status index", "criteria"],
)
def test_jose_in_node_detects_tampering(change, served, people, published, tmp_path):
    _, entries = published
    credential = services.credential_claim(entry=entries[0], by=people.student)
    code, result = _verify(tmp_path, _tampered(credential.jwt, change))
    assert code == 1 and result["signature"] is False and result["valid"] is False
    assert "signature verification failed" in result["error"]


def test_jose_in_node_verifies_a_credential_signed_before_a_key_rotation(served, people, published, tmp_path, settings):
    from joserfc.jwk import OKPKey

    from credentials.keys import issuer_keys

    _, entries = published
    old_credential = services.credential_claim(entry=entries[0], by=people.student)
    old = issuer_keys().signing
    settings.CREDENTIALS_SIGNING_KEY = json.dumps(OKPKey.generate_key("Ed25519").as_dict(private=True))
    settings.CREDENTIALS_RETIRED_KEYS = json.dumps({"keys": [old.as_dict(private=False)]})
    new_credential = services.credential_claim(entry=entries[1], by=people.student)
    assert new_credential.key_id != old_credential.key_id
    for credential in (old_credential, new_credential):
        code, result = _verify(tmp_path, credential.jwt)
        assert code == 0 and result["valid"], result
