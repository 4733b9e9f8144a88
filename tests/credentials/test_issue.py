"""Claiming an Open Badges 3.0 credential for a published entry: what it says, who may claim
it, and what revokes it (unpublishing, making the portfolio private, moderation, erasure)."""

import base64
import datetime
import gzip
import json

import pytest
from django.core.exceptions import ValidationError
from joserfc import jws
from joserfc.jwk import OKPKey

from credentials import documents, services
from credentials.keys import issuer_keys
from credentials.models import STATUS_LIST_LENGTH, Credential
from credentials.signing import payload_of
from portfolios import services as portfolio_services
from portfolios.models import Portfolio
from privacy import services as privacy_services
from tests.factories import PortfolioFactory


def _part(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_claim_issues_an_open_badge_for_the_week_with_its_objectives_and_evidence(claimed, published, settings):
    portfolio, entries = published
    entry = entries[0]
    header, vc = _part(claimed.jwt, 0), payload_of(claimed.jwt)
    assert header == {"alg": "EdDSA", "kid": issuer_keys().signing_kid, "typ": "vc+jwt", "cty": "vc"}
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2", documents.OB_CONTEXT]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == f"{settings.SITE_URL}/credentials/{claimed.pk}/"
    assert vc["issuer"]["id"] == settings.CREDENTIALS_ISSUER_DID == "did:web:127.0.0.1%3A8000"
    assert vc["iss"] == vc["issuer"]["id"] and vc["jti"] == vc["id"]
    assert vc["validFrom"].endswith("Z")
    achievement = vc["credentialSubject"]["achievement"]
    week = entry.work.week
    assert achievement["name"] == f"Week 2: {week.title}"
    assert achievement["id"].startswith(f"{settings.SITE_URL}/courses/{week.course.slug}/weeks/2/#achievement-v")
    for objective in week.objectives.filter(kind="outcome"):
        assert objective.text in achievement["criteria"]["narrative"]
        assert f"(Bloom level: {objective.bloom_level.name})" in achievement["criteria"]["narrative"]
    assert achievement["tag"] == [f"Bloom: {level['name']}" for level in entry.bloom_levels]
    identity = vc["credentialSubject"]["identifier"][0]
    assert identity["hashed"] is True and entry.portfolio.user.email not in json.dumps(vc)
    first, *proofs = vc["evidence"]
    assert first["id"] == f"{settings.SITE_URL}/p/sam-student/#entry-{entry.pk}"
    assert first["narrative"] == entry.narrative
    file_proof = entry.proofs.get(kind="file")
    (as_file,) = [p for p in proofs if p["genre"] == "Proof file"]
    assert as_file["id"] == f"{settings.SITE_URL}/p/sam-student/artifacts/{file_proof.pk}/"
    assert documents.hex_from_sri(as_file["digestSRI"]) == file_proof.sha256
    assert file_proof.sha256 in as_file["description"]
    assert [p["genre"] for p in proofs] == ["Proof file", "Proof link"]
    status = vc["credentialStatus"]
    assert status == {
        "id": f"{settings.SITE_URL}/credentials/status/1#{claimed.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(claimed.status_index),
        "statusListCredential": f"{settings.SITE_URL}/credentials/status/1",
    }
    assert 0 <= claimed.status_index < STATUS_LIST_LENGTH


def test_a_capstone_deliverable_is_an_achievement_too(people, published):
    _, entries = published
    credential = services.credential_claim(entry=entries[2], by=people.student)
    achievement = payload_of(credential.jwt)["credentialSubject"]["achievement"]
    deliverable = entries[2].work.deliverable
    assert achievement["name"] == f"Capstone: {deliverable.title}"
    assert f"#project-{deliverable.project.number}-deliverable-{deliverable.order}-v" in achievement["id"]


def test_claiming_twice_gives_the_same_credential(claimed, people, published):
    _, entries = published
    assert services.credential_claim(entry=entries[0], by=people.student) == claimed
    assert Credential.objects.count() == 1


def test_claiming_raises_the_public_pages_version(people, published):
    portfolio, entries = published
    before = Portfolio.objects.get(pk=portfolio.pk).version
    services.credential_claim(entry=entries[0], by=people.student)
    assert Portfolio.objects.get(pk=portfolio.pk).version == before + 1


@pytest.mark.parametrize("who", ["other_student", "mentor", "instructor", "admin"])
def test_only_the_learner_claims(who, people, published):
    _, entries = published
    with pytest.raises(ValidationError, match="Only the learner"):
        services.credential_claim(entry=entries[0], by=getattr(people, who))
    assert not Credential.objects.exists()


def test_an_unpublished_entry_or_a_private_portfolio_cannot_be_claimed(people, published):
    portfolio, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    with pytest.raises(ValidationError, match="Publish the entry"):
        services.credential_claim(entry=entries[0], by=people.student)
    portfolio_services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.PRIVATE
    )
    with pytest.raises(ValidationError, match="public or unlisted"):
        services.credential_claim(entry=entries[1], by=people.student)
    assert not Credential.objects.exists()


def test_an_unlisted_portfolio_can_be_claimed(people, published):
    portfolio, entries = published
    portfolio_services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.UNLISTED
    )
    assert services.credential_claim(entry=entries[1], by=people.student).pk


def _revoked_bits() -> set[int]:
    from credentials.selectors import revoked_indexes

    return set(revoked_indexes())


def test_unpublishing_revokes_and_republishing_allows_a_new_claim(claimed, people, published):
    _, entries = published
    portfolio_services.entry_unpublish(entry=entries[0], by=people.student)
    claimed.refresh_from_db()
    assert claimed.is_revoked and claimed.revocation_reason == Credential.Reason.UNPUBLISHED
    assert claimed.status_index in _revoked_bits()
    work = entries[0].work
    portfolio_services.entry_publish(
        work=work,
        by=people.student,
        narrative="Again",
        artifact_ids=list(work.latest_revision.artifacts.values_list("pk", flat=True)),
    )
    again = services.credential_claim(entry=entries[0], by=people.student)
    assert again.pk != claimed.pk and again.status_index != claimed.status_index and not again.is_revoked


def test_making_the_portfolio_private_revokes_every_credential(claimed, people, published):
    portfolio, entries = published
    second = services.credential_claim(entry=entries[1], by=people.student)
    portfolio_services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.PRIVATE
    )
    assert set(Credential.objects.values_list("revocation_reason", flat=True)) == {Credential.Reason.PRIVATE}
    assert {claimed.status_index, second.status_index} <= _revoked_bits()


def test_moderation_revokes(claimed, people, published):
    portfolio, entries = published
    other = services.credential_claim(entry=entries[1], by=people.student)
    portfolio_services.entry_unpublish(entry=entries[0], by=people.admin)  # staff, from the admin
    claimed.refresh_from_db()
    assert claimed.revocation_reason == Credential.Reason.MODERATED
    other.refresh_from_db()
    assert not other.is_revoked
    portfolio_services.portfolio_hide(portfolio=portfolio, by=people.admin)
    other.refresh_from_db()
    assert other.revocation_reason == Credential.Reason.MODERATED


def test_a_visibility_change_between_public_and_unlisted_revokes_nothing(claimed, published):
    portfolio, _ = published
    portfolio_services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.UNLISTED
    )
    claimed.refresh_from_db()
    assert not claimed.is_revoked


def test_a_failed_change_rolls_the_revocation_back(claimed, people, published):
    """The revocation is in the transaction of the change that causes it."""
    portfolio, _ = published
    with pytest.raises(ValidationError):
        portfolio_services.portfolio_update_profile(
            portfolio=portfolio, slug="admin", display_name="Sam", visibility=Portfolio.Visibility.PRIVATE
        )
    claimed.refresh_from_db()
    assert not claimed.is_revoked


def test_erasing_the_learner_revokes_and_strips_their_credentials(claimed, people, published):
    other = PortfolioFactory(user=people.other_student)  # someone else's data stays
    request = privacy_services.erasure_request(user=people.student, by=people.admin)
    privacy_services.erasure_execute(request_id=request.pk, now=request.due_at + datetime.timedelta(minutes=1))
    row = Credential.objects.get(pk=claimed.pk)
    assert row.is_revoked and row.revocation_reason == Credential.Reason.ERASED
    assert (row.user_id, row.entry_id, row.title, row.jwt) == (None, None, "", "")
    assert row.status_index in _revoked_bits()  # copies already shared stop verifying
    assert Portfolio.objects.filter(pk=other.pk).exists()


def test_status_list_bits_are_the_revoked_indexes():
    encoded = documents.encode_bitstring([0, 9, STATUS_LIST_LENGTH - 1])
    assert encoded.startswith("u")
    bits = documents.decode_bitstring(encoded)
    assert len(bits) == STATUS_LIST_LENGTH // 8
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000 and bits[-1] == 0b0000_0001
    assert sum(bin(b).count("1") for b in bits) == 3
    assert gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4))) == bits


def test_a_configured_key_signs_and_a_retired_key_stays_in_the_did_document(settings, people, published, tmp_path):
    old = OKPKey.generate_key("Ed25519")
    key_file = tmp_path / "signing.jwk"
    key_file.write_text(json.dumps(old.as_dict(private=True)))
    settings.CREDENTIALS_SIGNING_KEY_FILE = str(key_file)
    _, entries = published
    first = services.credential_claim(entry=entries[0], by=people.student)
    assert first.key_id == f"{settings.CREDENTIALS_ISSUER_DID}#{old.thumbprint()}"
    jws.deserialize_compact(first.jwt, old, algorithms=["EdDSA"])  # signed by the configured key

    # Rotation: a new signing key, the old one's public part listed as retired.
    new = OKPKey.generate_key("Ed25519")
    key_file.write_text(json.dumps(new.as_dict(private=True)))
    settings.CREDENTIALS_SIGNING_KEY_FILE = ""
    settings.CREDENTIALS_SIGNING_KEY = json.dumps(new.as_dict(private=True))
    settings.CREDENTIALS_RETIRED_KEYS = json.dumps({"keys": [old.as_dict(private=False)]})
    second = services.credential_claim(entry=entries[1], by=people.student)
    assert second.key_id.endswith(new.thumbprint())
    did = documents.did_document(issuer_keys())
    assert [m["id"] for m in did["verificationMethod"]] == [second.key_id, first.key_id]
    assert did["assertionMethod"] == [second.key_id, first.key_id]
    assert all("d" not in m["publicKeyJwk"] for m in did["verificationMethod"])


def test_a_bad_key_setting_fails_loudly(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CREDENTIALS_SIGNING_KEY = "not a key"
    with pytest.raises(ImproperlyConfigured, match="CREDENTIALS_SIGNING_KEY"):
        issuer_keys()
    settings.CREDENTIALS_SIGNING_KEY = json.dumps(OKPKey.generate_key("Ed25519").as_dict(private=False))
    with pytest.raises(ImproperlyConfigured, match="private part"):
        issuer_keys()
