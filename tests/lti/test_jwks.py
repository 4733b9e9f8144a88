"""The tool's JWKS: keys from files (never the database), the retiring key published beside
the current one during a rotation, nothing private ever published."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from jwcrypto import jwk, jws

from lti import keys

from .keyfiles import write_key


def test_jwks_publishes_the_current_key_with_its_thumbprint_as_kid(db, client, tool_key, django_assert_num_queries):
    with django_assert_num_queries(0):  # keys come from the file, not the database
        response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    published = response.json()["keys"]
    assert [key["kid"] for key in published] == [tool_key.thumbprint()]
    assert published[0]["alg"] == "RS256" and published[0]["use"] == "sig"
    assert "d" not in published[0] and "p" not in published[0]  # no private part
    assert response["Cache-Control"] == "public, max-age=300"


def test_a_rotation_publishes_the_new_and_the_retiring_key_and_signs_with_the_new(client, settings, tmp_path, tool_key):
    old_path = tmp_path / "old.pem"
    old = write_key(old_path)
    settings.LTI_RETIRING_KEY_FILE = str(old_path)
    response = client.get("/lti/jwks.json")
    assert [key["kid"] for key in response.json()["keys"]] == [tool_key.thumbprint(), old.thumbprint()]
    # What the current key signs verifies against the published set; the retiring key never signs.
    assert keys.current_key().kid == tool_key.thumbprint()
    assert keys.retiring_key().private_pem is None
    token = jws.JWS(b"payload")
    token.add_signature(
        jwk.JWK.from_pem(keys.current_key().private_pem.encode()), alg="RS256", protected={"alg": "RS256"}
    )
    published = jwk.JWKSet.from_json(response.content)
    verifier = jws.JWS()
    verifier.deserialize(token.serialize())
    verifier.verify(published.get_key(tool_key.thumbprint()))
    assert verifier.payload == b"payload"


def test_after_the_rotation_the_retiring_key_is_gone(client, settings, tmp_path, tool_key):
    settings.LTI_RETIRING_KEY_FILE = ""
    assert [key["kid"] for key in client.get("/lti/jwks.json").json()["keys"]] == [tool_key.thumbprint()]


def test_no_key_configured_outside_debug_publishes_an_empty_set(client, settings):
    settings.DEBUG = False
    settings.LTI_PRIVATE_KEY_FILE = ""
    settings.LTI_PRIVATE_KEY = ""
    assert client.get("/lti/jwks.json").json() == {"keys": []}


def test_a_public_key_as_the_current_key_is_refused_loudly(settings, tmp_path):
    path = tmp_path / "public.pem"
    path.write_bytes(jwk.JWK.generate(kty="RSA", size=2048).export_to_pem())
    settings.LTI_PRIVATE_KEY_FILE = str(path)
    with pytest.raises(ImproperlyConfigured, match="private key"):
        keys.current_key()


def test_an_unreadable_key_file_is_refused_loudly(settings, tmp_path):
    settings.LTI_PRIVATE_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        keys.current_key()
