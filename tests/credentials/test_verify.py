"""The verify page: a pasted or uploaded credential is checked (signature, issuer, content,
status, evidence) and each check says plainly whether it holds. Tampering with any field, a
revoked status and a changed proof file are each detected; hostile input gets a clear answer,
never a 500."""

import base64
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from joserfc import jws
from joserfc.jwk import OKPKey

from credentials import documents, verification
from credentials.signing import payload_of
from portfolios import services as portfolio_services
from portfolios.models import Portfolio

VERIFY = "/credentials/verify/"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _with_payload(token: str, payload: dict) -> str:
    """The same header and signature over changed content (what a forger can do)."""
    header, _, signature = token.split(".")
    return f"{header}.{_b64(payload)}.{signature}"


def _statuses(report) -> dict[str, str]:
    return {check.key: check.status for check in report.checks}


def test_an_issued_credential_holds_every_check(claimed):
    report = verification.verify_text(claimed.jwt)
    assert report.valid, [(c.key, c.detail) for c in report.checks]
    assert _statuses(report) == dict.fromkeys(["signature", "issuer", "content", "status", "evidence"], "holds")
    evidence = report.check("evidence")
    assert len(evidence.items) == 1 and evidence.items[0][1] == "holds"


def test_the_json_envelope_verifies_like_the_jwt(claimed):
    assert verification.verify_text(json.dumps(documents.enveloped(claimed.jwt))).valid


# Every field a forger might change: name, achievement, criteria, evidence digest, evidence
# link, issuer, validity, status index, subject, types, contexts.
TAMPERINGS = {
    "name": lambda vc: vc.update(name="Week 24: Principal engineer"),
    "achievement": lambda vc: vc["credentialSubject"]["achievement"].update(name="Something else"),
    "criteria": lambda vc: vc["credentialSubject"]["achievement"]["criteria"].update(narrative="- Anything"),
    "evidence digest": lambda vc: vc["evidence"][1].update(digestSRI=documents.sri_sha256("00" * 32)),
    "evidence link": lambda vc: vc["evidence"][0].update(id="https://evil.example/"),
    "issuer name": lambda vc: vc["issuer"].update(name="MIT"),
    "validFrom": lambda vc: vc.update(validFrom="2020-01-01T00:00:00Z"),
    "status index": lambda vc: vc["credentialStatus"].update(statusListIndex="1"),
    "subject": lambda vc: vc["credentialSubject"]["identifier"][0].update(identityHash="sha256$00"),
    "type": lambda vc: vc.update(type=["VerifiableCredential", "OpenBadgeCredential", "X"]),
    "context": lambda vc: vc["@context"].append("https://evil.example/ctx"),
    "added field": lambda vc: vc.update(validUntil="2099-01-01T00:00:00Z"),
}


@pytest.mark.parametrize("field", TAMPERINGS)
def test_tampering_with_any_field_breaks_the_signature(field, claimed):
    vc = payload_of(claimed.jwt)
    TAMPERINGS[field](vc)
    report = verification.verify_text(_with_payload(claimed.jwt, vc))
    assert not report.valid
    assert report.check("signature").status == "fails"
    assert "changed after it was signed" in report.check("signature").detail
    # Without a good signature, what the content claims is not taken as fact.
    assert report.check("status").status in ("unknown", "fails")
    assert report.check("evidence").status in ("unknown", "fails")


def test_a_credential_signed_by_another_key_is_refused(claimed, settings):
    vc = payload_of(claimed.jwt)
    forger = OKPKey.generate_key("Ed25519")
    kid = f"{settings.CREDENTIALS_ISSUER_DID}#{forger.thumbprint()}"
    token = jws.serialize_compact(
        {"alg": "EdDSA", "kid": kid, "typ": "vc+jwt"}, json.dumps(vc).encode(), forger, algorithms=["EdDSA"]
    )
    report = verification.verify_text(token)
    assert report.check("signature").status == "fails"
    assert "does not hold" in report.check("signature").detail


def test_another_issuers_credential_cannot_be_checked_here(claimed):
    vc = payload_of(claimed.jwt)
    vc["issuer"]["id"] = vc["iss"] = "did:web:university.example"
    forger = OKPKey.generate_key("Ed25519")
    token = jws.serialize_compact(
        {"alg": "EdDSA", "kid": "did:web:university.example#k1", "typ": "vc+jwt"},
        json.dumps(vc).encode(),
        forger,
        algorithms=["EdDSA"],
    )
    report = verification.verify_text(token)
    assert not report.valid
    assert report.check("signature").status == "unknown"
    assert report.check("issuer").status == "unknown"


def test_alg_none_is_refused(claimed):
    header, payload, _ = claimed.jwt.split(".")
    token = f"{_b64({'alg': 'none', 'typ': 'vc+jwt'})}.{payload}."
    report = verification.verify_text(token)
    assert report.check("signature").status == "fails" and not report.valid


def test_a_revoked_credential_is_reported_revoked(claimed, people, published):
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    report = verification.verify_text(claimed.jwt)
    assert not report.valid
    assert report.check("signature").status == "holds"
    assert report.check("status").status == "fails" and report.check("status").detail.startswith("Revoked")
    assert report.check("evidence").status == "fails"  # the entry is no longer published


def test_a_changed_proof_file_is_detected(claimed, published):
    _, entries = published
    proof = entries[0].proofs.get(kind="file")
    path = proof.artifact.file.path
    with open(path, "ab") as stored:
        stored.write(b"p95: 38ms (edited later)\n")
    report = verification.verify_text(claimed.jwt)
    assert not report.valid
    evidence = report.check("evidence")
    assert evidence.status == "fails"
    (item,) = evidence.items
    assert item[1] == "fails" and "the published file changed" in item[2]
    assert report.check("signature").status == report.check("status").status == "holds"


def test_a_proof_file_missing_from_storage_is_detected(claimed, published):
    _, entries = published
    proof = entries[0].proofs.get(kind="file")
    proof.artifact.file.storage.delete(proof.artifact.file.name)
    evidence = verification.verify_text(claimed.jwt).check("evidence")
    assert evidence.status == "fails" and evidence.items[0][2] == "the published file is missing"


def test_a_republished_entry_without_the_proof_fails_the_evidence_check(claimed, people, published):
    _, entries = published
    work = entries[0].work
    link = work.latest_revision.artifacts.get(kind="link")
    portfolio_services.entry_publish(
        work=work, by=people.student, narrative="Only the link now", artifact_ids=[link.pk]
    )
    evidence = verification.verify_text(claimed.jwt).check("evidence")
    assert evidence.status == "fails"
    assert "no file with this SHA-256 is published" in evidence.items[0][2]


HOSTILE = {
    "empty": ("", "Paste a credential"),
    "prose": ("hello, please verify me", "neither a credential file"),
    "broken json": ("{not json", "not valid JSON"),
    "json list": ("[1, 2, 3]", "neither a credential"),
    "json number in braces": ('{"a": 1}', "not a credential"),
    "deep nesting": ("{" + '"a":[' * 5000 + "]" * 5000 + "}", "not valid JSON"),
    "unsigned credential": ('{"@context": [], "credentialSubject": {}}', "without its signature"),
    "data integrity": ('{"proof": {"type": "DataIntegrityProof"}}', "Data Integrity"),
    "bad envelope": (
        '{"type": "EnvelopedVerifiableCredential", "id": "data:text/plain,hi"}',
        "does not hold a VC-JOSE",
    ),
    "garbage jws": ("aaa.bbb.ccc", "cannot be read"),
    "jws of a list": (
        f"{_b64({'alg': 'EdDSA'})}.{base64.urlsafe_b64encode(b'[1]').decode().rstrip('=')}.x",
        "not a JSON object",
    ),
    "too large": ("a." * 40_000 + "b", "larger than 64 KB"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_gets_a_clear_answer(case, db):
    text, expected = HOSTILE[case]
    report = verification.verify_text(text)
    assert not report.valid
    assert expected in report.problem


def test_hostile_types_inside_a_signed_looking_credential_never_raise(db, settings):
    payload = {
        "@context": 5,
        "type": "x",
        "issuer": [1],
        "validFrom": 7,
        "credentialSubject": "s",
        "credentialStatus": [None, {"statusListIndex": 3}],
        "evidence": [{"digestSRI": 5}],
        "id": {"a": 1},
    }
    token = (
        f"{_b64({'alg': 'EdDSA', 'typ': 'vc+jwt', 'kid': settings.CREDENTIALS_ISSUER_DID + '#x'})}.{_b64(payload)}.sig"
    )
    report = verification.verify_text(token)
    assert not report.valid and not report.problem
    assert _statuses(report) == {
        "signature": "fails",
        "issuer": "fails",
        "content": "fails",
        "status": "fails",
        "evidence": "fails",
    }


# --- The page ----------------------------------------------------------------------------


def test_the_page_checks_a_pasted_credential_and_says_what_holds(client_for, claimed):
    response = client_for(None).post(VERIFY, {"credential": claimed.jwt})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Valid: every check holds" in body
    for title in ("Signature", "Issuer", "Open Badges 3.0 content", "Status", "Evidence"):
        assert f"<strong>{title}: holds.</strong>" in body


def test_the_page_checks_an_uploaded_file(client_for, claimed):
    upload = SimpleUploadedFile("credential.json", json.dumps(documents.enveloped(claimed.jwt)).encode())
    body = client_for(None).post(VERIFY, {"upload": upload}).content.decode()
    assert "Valid: every check holds" in body


def test_the_page_reports_a_revoked_credential(client_for, claimed, people, published):
    portfolio, _ = published
    portfolio_services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.PRIVATE
    )
    body = " ".join(client_for(None).post(VERIFY, {"credential": claimed.jwt}).content.decode().split())
    assert "Not valid" in body and "<strong>Status: does not hold.</strong> Revoked" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Paste a credential or choose its file."),
        ({"credential": "x" * (65 * 1024)}, "Ensure this value has at most 65536 characters"),
        ({"upload": SimpleUploadedFile("big.jwt", b"a" * (65 * 1024))}, "larger than 64 KB"),
        ({"upload": SimpleUploadedFile("image.png", b"\x89PNG\r\n\x1a\n\xff\xfe")}, "not text"),
    ],
)
def test_bad_form_input_is_a_400_with_the_reason(client_for, db, data, message):
    response = client_for(None).post(VERIFY, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_both_pasted_and_uploaded_is_refused(client_for, claimed):
    upload = SimpleUploadedFile("c.jwt", claimed.jwt.encode())
    response = client_for(None).post(VERIFY, {"credential": claimed.jwt, "upload": upload})
    assert response.status_code == 400 and "not both" in response.content.decode()


def test_checks_are_rate_limited_per_address(client_for, claimed, settings):
    settings.CREDENTIALS_VERIFY_RATE = "2/m"
    client = client_for(None)
    assert client.post(VERIFY, {"credential": claimed.jwt}).status_code == 200
    assert client.post(VERIFY, {"credential": claimed.jwt}).status_code == 200
    refused = client.post(VERIFY, {"credential": claimed.jwt})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Too many checks" in refused.content.decode()
    other = client_for(None)
    assert other.post(VERIFY, {"credential": claimed.jwt}, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_get_fills_in_a_credential_but_checks_nothing(client_for, claimed, django_assert_num_queries):
    client = client_for(None)
    # the credential (no session, no user: a visitor)
    with django_assert_num_queries(1):
        response = client.get(f"{VERIFY}?credential={claimed.pk}")
    body = response.content.decode()
    assert response.status_code == 200 and claimed.jwt in body and "verify-result" not in body


@pytest.mark.parametrize("value", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00", "x" * 5000])
def test_a_get_with_a_bad_credential_id_shows_an_empty_form(client_for, db, value):
    response = client_for(None).get(VERIFY, {"credential": value})
    assert response.status_code == 200
    assert "<textarea" in response.content.decode()


@pytest.mark.parametrize("files", [1, 6])
def test_a_check_is_three_queries_however_many_proof_files(
    files, client_for, people, accepted, django_assert_num_queries
):
    from credentials.services import credential_claim
    from tests.factories import PortfolioFactory

    PortfolioFactory(user=people.student, slug="many-files")
    work = accepted(week=3, files=[(f"run-{n}.txt", f"p95 {n} ms\n".encode()) for n in range(files)])
    entry = portfolio_services.entry_publish(
        work=work,
        by=people.student,
        narrative="Runs",
        artifact_ids=list(work.latest_revision.artifacts.values_list("pk", flat=True)),
    )
    credential = credential_claim(entry=entry, by=people.student)
    # the credential with its entry and portfolio, its status bit, the entry's published files
    with django_assert_num_queries(3):
        body = client_for(None).post(VERIFY, {"credential": credential.jwt}).content.decode()
    assert "Valid: every check holds" in body and body.count("the published file still has SHA-256") == files
