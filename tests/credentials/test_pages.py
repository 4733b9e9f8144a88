"""Every credentials page and document, for every role: the learner, another student of the
cohort, their mentor, a mentor of another cohort, the instructor, an admin and a signed-out
visitor. Query counts pinned."""

import json
import re

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey

from credentials import documents
from credentials.models import Credential
from credentials.signing import payload_of
from portfolios import services as portfolio_services
from tests.factories import PortfolioEntryFactory

ROLES = ["student", "other_student", "mentor", "foreign_mentor", "instructor", "admin", None]


def _viewer(people, role):
    return getattr(people, role) if role else None


@pytest.mark.parametrize("role", ROLES)
def test_a_credential_in_force_is_public(role, client_for, people, claimed):
    client = client_for(_viewer(people, role))
    page = client.get(f"/credentials/{claimed.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "In force" in body and claimed.title in body
    assert f'href="/credentials/{claimed.pk}.jwt"' in body and f'href="/credentials/{claimed.pk}.json"' in body
    assert f'href="/credentials/verify/?credential={claimed.pk}"' in body
    jwt = client.get(f"/credentials/{claimed.pk}.jwt")
    assert jwt.status_code == 200 and jwt["Content-Type"] == "application/vc+jwt"
    assert jwt.content.decode() == claimed.jwt
    assert jwt["Content-Disposition"] == f'attachment; filename="credential-{claimed.pk}.jwt"'
    envelope = json.loads(client.get(f"/credentials/{claimed.pk}.json").content)
    assert envelope == documents.enveloped(claimed.jwt)
    qr = client.get(f"/credentials/{claimed.pk}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg") and b"<title>" in qr.content


@pytest.mark.parametrize("role", ROLES)
def test_a_revoked_credential_is_only_its_holders(role, client_for, people, published, claimed):
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    client = client_for(_viewer(people, role))
    expected = 200 if role == "student" else 404
    for suffix in ("/", ".jwt", ".json", "/qr.svg"):
        assert client.get(f"/credentials/{claimed.pk}{suffix}").status_code == expected, suffix
    if role == "student":
        assert "Revoked" in client.get(f"/credentials/{claimed.pk}/").content.decode()


def test_unknown_and_erased_credentials_are_404(client_for, people, claimed):
    client = client_for(people.student)
    assert client.get("/credentials/00000000-0000-0000-0000-000000000000/").status_code == 404
    Credential.objects.filter(pk=claimed.pk).update(jwt="", user=None, entry=None, revoked_at="2026-12-01T00:00Z")
    assert client.get(f"/credentials/{claimed.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["other_student", "mentor", "foreign_mentor", "instructor", "admin"])
def test_only_the_learner_may_claim(role, client_for, people, published):
    _, entries = published
    response = client_for(getattr(people, role)).post(f"/credentials/claim/{entries[0].pk}/")
    assert response.status_code == 404
    assert not Credential.objects.exists()


def test_a_visitor_is_sent_to_sign_in_to_claim(client_for, published):
    _, entries = published
    response = client_for(None).post(f"/credentials/claim/{entries[0].pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Credential.objects.exists()


def test_the_learner_claims_from_the_editor(client_for, people, published):
    _, entries = published
    client = client_for(people.student)
    editor = client.get("/portfolio/").content.decode()
    assert editor.count("Claim a credential") == 3
    assert client.get(f"/credentials/claim/{entries[0].pk}/").status_code == 405  # a GET never issues
    response = client.post(f"/credentials/claim/{entries[0].pk}/")
    credential = Credential.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/credentials/{credential.pk}/"
    editor = client.get("/portfolio/").content.decode()
    assert editor.count("Claim a credential") == 2 and f"/credentials/{credential.pk}/" in editor


def test_claiming_a_private_portfolios_entry_says_why_not(client_for, people, published):
    portfolio, entries = published
    portfolio_services.portfolio_hide(portfolio=portfolio, by=people.admin)
    client = client_for(people.student)
    assert "Make your portfolio public or unlisted to claim" in client.get("/portfolio/").content.decode()
    response = client.post(f"/credentials/claim/{entries[0].pk}/", follow=True)
    assert "Make your portfolio public or unlisted first" in response.content.decode()
    assert not Credential.objects.exists()


def test_the_public_portfolio_shows_each_credential_with_a_verify_link(client_for, people, published, claimed):
    body = client_for(None).get("/p/sam-student/").content.decode()
    assert body.count("Open Badge</span>") == 1
    assert f'href="/credentials/{claimed.pk}/"' in body
    assert f'href="/credentials/verify/?credential={claimed.pk}"' in body
    # unpublishing takes the entry, and its credential, off the page at once
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    assert str(claimed.pk) not in client_for(None).get("/p/sam-student/").content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_did_document_and_status_list_are_public(role, client_for, people, claimed, settings):
    client = client_for(_viewer(people, role))
    did = client.get("/.well-known/did.json")
    assert did.status_code == 200 and did["Access-Control-Allow-Origin"] == "*"
    document = json.loads(did.content)
    assert document["id"] == settings.CREDENTIALS_ISSUER_DID
    assert document["assertionMethod"] == [claimed.key_id]
    listed = client.get("/credentials/status/1")
    assert listed.status_code == 200 and listed["Content-Type"] == "application/vc+jwt"
    assert client.get("/credentials/status/2").status_code == 404


def test_the_status_list_is_signed_and_reads_1_at_revoked_indexes(client_for, people, published, claimed):
    _, entries = published
    jwk = json.loads(client_for(None).get("/.well-known/did.json").content)["verificationMethod"][0]["publicKeyJwk"]
    key = OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x")})

    def bit() -> int:
        token = client_for(None).get("/credentials/status/1").content.decode()
        vc = json.loads(jws.deserialize_compact(token, key, algorithms=["EdDSA"]).payload)
        assert vc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
        assert vc["credentialSubject"]["statusPurpose"] == "revocation"
        bits = documents.decode_bitstring(vc["credentialSubject"]["encodedList"])
        return (bits[claimed.status_index // 8] >> (7 - claimed.status_index % 8)) & 1

    assert bit() == 0
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    assert bit() == 1


def test_the_status_list_answers_304_until_a_revocation(client_for, people, published, claimed):
    client = client_for(None)
    first = client.get("/credentials/status/1")
    assert client.get("/credentials/status/1", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    assert client.get("/credentials/status/1", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


# --- Query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("revoked", [0, 30])
def test_the_status_list_is_one_query_however_many_are_revoked(
    revoked, client_for, people, accepted, published, claimed, django_assert_num_queries
):
    Credential.objects.bulk_create(
        Credential(status_index=100_000 + n, key_id="k", issued_at=claimed.issued_at, revoked_at=claimed.issued_at)
        for n in range(revoked)
    )
    with django_assert_num_queries(1):  # the revoked indexes and times
        assert client_for(None).get("/credentials/status/1").status_code == 200


def test_the_credential_page_queries(client_for, people, claimed, django_assert_num_queries):
    with django_assert_num_queries(1):  # the credential
        assert client_for(None).get(f"/credentials/{claimed.pk}/").status_code == 200
    with django_assert_num_queries(1):
        assert client_for(None).get(f"/credentials/{claimed.pk}.jwt").status_code == 200


def test_the_did_document_needs_no_query(client_for, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client_for(None).get("/.well-known/did.json").status_code == 200


@pytest.mark.parametrize("count", [1, 12])
def test_the_public_page_adds_one_query_for_credentials(count, client_for, people, accepted, django_assert_num_queries):
    from credentials.services import credential_claim
    from portfolios import cache as page_cache
    from tests.factories import PortfolioFactory

    PortfolioFactory(user=people.student, slug="many-badges")
    for n in range(1, count + 1):
        entry = PortfolioEntryFactory(work=accepted(week=n))
        credential_claim(entry=entry, by=people.student)
    page_cache.local_pages.clear()
    from django.core.cache import cache

    cache.clear()
    # head (the portfolio), published entries, proofs, their credentials
    with django_assert_num_queries(4):
        body = client_for(None).get("/p/many-badges/").content.decode()
    assert len(re.findall(r"Open Badge</span>", body)) == count


def test_verifying_with_a_key_rotated_away_still_holds(claimed, settings):
    """Rotation: the old key moves to CREDENTIALS_RETIRED_KEYS and a new one signs; an old
    credential still verifies (its key stays in the DID document)."""
    from credentials.keys import issuer_keys
    from credentials.verification import verify_text

    old = issuer_keys().signing
    settings.CREDENTIALS_SIGNING_KEY = json.dumps(OKPKey.generate_key("Ed25519").as_dict(private=True))
    settings.CREDENTIALS_RETIRED_KEYS = json.dumps({"keys": [old.as_dict(private=False)]})
    report = verify_text(claimed.jwt)
    assert report.valid
    assert "a key we used before a rotation" in report.check("signature").detail
    settings.CREDENTIALS_RETIRED_KEYS = ""  # dropped from the DID document: no longer verifiable
    assert verify_text(claimed.jwt).check("signature").status == "fails"
    assert payload_of(claimed.jwt)["id"].endswith(f"/credentials/{claimed.pk}/")


@pytest.mark.parametrize("role", ROLES)
def test_everyone_may_verify_and_a_revoked_credential_is_filled_in_for_its_holder_only(
    role, client_for, people, published, claimed
):
    client = client_for(_viewer(people, role))
    page = client.get(f"/credentials/verify/?credential={claimed.pk}")
    assert page.status_code == 200 and claimed.jwt in page.content.decode()
    checked = client.post("/credentials/verify/", {"credential": claimed.jwt})
    assert checked.status_code == 200 and "Valid: every check holds" in checked.content.decode()
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    page = client.get(f"/credentials/verify/?credential={claimed.pk}")
    assert (claimed.jwt in page.content.decode()) is (role == "student")
    checked = client.post("/credentials/verify/", {"credential": claimed.jwt})
    assert checked.status_code == 200 and "Not valid" in checked.content.decode()
