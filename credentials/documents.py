"""The JSON documents we issue and serve: the OpenBadgeCredential of a portfolio entry, the
issuer's DID document and the Bitstring Status List credential.

Open Badges 3.0 on the W3C Verifiable Credentials Data Model 2.0. The two contexts are named by
their URLs and never fetched: the credentials are secured as VC-JOSE (a JWS over the JSON
itself), which needs no JSON-LD processing to verify, and our verifier compares the context
URLs as strings.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from portfolios.models import PortfolioEntry

from .keys import IssuerKeys
from .models import STATUS_LIST_LENGTH

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]
STATUS_LIST_NUMBER = 1


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def credential_url(credential_id) -> str:
    return absolute(reverse("credentials:detail", kwargs={"pk": credential_id}))


def status_list_url() -> str:
    return absolute(reverse("credentials:status_list", kwargs={"number": STATUS_LIST_NUMBER}))


def sri_sha256(hex_digest: str) -> str:
    """A SHA-256 as Subresource Integrity ("sha256-<base64>"), the VC data model's digestSRI."""
    return "sha256-" + base64.b64encode(bytes.fromhex(hex_digest)).decode()


def hex_from_sri(value: str) -> str | None:
    if not isinstance(value, str) or not value.startswith("sha256-"):
        return None
    try:
        raw = base64.b64decode(value[len("sha256-") :], validate=True)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 32 else None


def issuer_profile() -> dict:
    return {
        "id": settings.CREDENTIALS_ISSUER_DID,
        "type": ["Profile"],
        "name": settings.CREDENTIALS_ISSUER_NAME,
        "url": settings.SITE_URL + "/",
    }


def _achievement(entry: PortfolioEntry) -> dict:
    """The week (or capstone deliverable) as an Achievement: its outcome objectives, each with
    its Bloom level, are the criteria."""
    work = entry.work
    if work.week_id:
        week = work.week
        course = week.course
        objectives = list(week.objectives.filter(kind="outcome").select_related("bloom_level").order_by("order", "pk"))
        criteria = "\n".join(
            f"- {o.text}" + (f" (Bloom level: {o.bloom_level.name})" if o.bloom_level_id else "") for o in objectives
        )
        levels = [level["name"] for level in entry.bloom_levels]
        return {
            "id": absolute(reverse("curriculum:week", kwargs={"slug": course.slug, "number": week.number}))
            + f"#achievement-v{course.version}",
            "type": ["Achievement"],
            "achievementType": "Assignment",
            "name": f"Week {week.number}: {week.title}",
            "description": (
                f"Week {week.number} of the 24-week course “{course.title}”: the weekly work "
                "(concept analysis, lab with quality gates, decision record, implementation dossier and "
                "evidence), accepted by a mentor against the weekly rubric."
            ),
            "criteria": {
                "narrative": "The learner's work meets these outcome objectives, judged by a mentor:\n\n"
                + (criteria or "- The week's lab and its quality gates.")
            },
            "tag": [f"Bloom: {name}" for name in levels],
            "inLanguage": "en",
        }
    deliverable = work.deliverable
    project = deliverable.project
    course = project.course
    return {
        "id": absolute(reverse("curriculum:course", kwargs={"slug": course.slug}))
        + f"#project-{project.number}-deliverable-{deliverable.order}-v{course.version}",
        "type": ["Achievement"],
        "achievementType": "Assignment",
        "name": f"Capstone: {deliverable.title}",
        "description": (
            f"A deliverable of capstone project {project.number}, “{project.title}”, of the course "
            f"“{course.title}”, accepted by a mentor against the capstone rubric."
        ),
        "criteria": {
            "narrative": f"The deliverable “{deliverable.title}” of project {project.number}: "
            + (project.description.strip() or project.title)
        },
        "tag": ["Capstone"],
        "inLanguage": "en",
    }


def _evidence(entry: PortfolioEntry, proofs: Iterable) -> list[dict]:
    """The portfolio entry, then each proof: files with their SHA-256 (digestSRI, and in
    words), links as they were published."""
    slug = entry.portfolio.slug
    items = [
        {
            "id": absolute(reverse("portfolios:public", kwargs={"slug": slug})) + f"#entry-{entry.pk}",
            "type": ["Evidence"],
            "name": entry.title,
            "genre": "Portfolio entry",
            "narrative": entry.narrative,
        }
    ]
    for proof in proofs:
        if proof.is_file:
            items.append(
                {
                    "id": absolute(reverse("portfolios:download", kwargs={"slug": slug, "pk": proof.pk})),
                    "type": ["Evidence"],
                    "name": proof.name,
                    "genre": "Proof file",
                    "description": f"{proof.proves or 'Proof'} · SHA-256 {proof.sha256}",
                    "digestSRI": sri_sha256(proof.sha256),
                }
            )
        else:
            items.append(
                {
                    "id": proof.url,
                    "type": ["Evidence"],
                    "name": proof.name,
                    "genre": "Proof link",
                    "description": proof.proves or "Link",
                }
            )
    return items


def identity_of(email: str, salt: str) -> dict:
    """The learner named without their address in clear: OB 3.0's hashed IdentityObject."""
    return {
        "type": "IdentityObject",
        "identityHash": "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest(),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def credential_payload(*, credential_id, entry: PortfolioEntry, proofs: Iterable, issued_at, status_index: int) -> dict:
    """The OpenBadgeCredential of one published entry (the JWS payload, as issued)."""
    user = entry.portfolio.user
    achievement = _achievement(entry)
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_url(credential_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(),
        "validFrom": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": achievement["name"],
        "description": f"Awarded to {entry.portfolio.display_name} for {achievement['name']}.",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [identity_of(user.email, secrets.token_hex(8))],
            "achievement": achievement,
        },
        "evidence": _evidence(entry, proofs),
        "credentialStatus": {
            "id": f"{status_list_url()}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status_list_url(),
        },
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
    }


def did_document(keys: IssuerKeys) -> dict:
    """Every key we have signed with is a verification method; the current one first."""
    methods = [
        {
            "id": keys.kid(key),
            "type": "JsonWebKey2020",
            "controller": keys.did,
            "publicKeyJwk": {**key.as_dict(private=False), "kid": keys.kid(key)},
        }
        for key in keys.all
    ]
    return {
        "@context": DID_CONTEXTS,
        "id": keys.did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def encode_bitstring(revoked: Iterable[int], length: int = STATUS_LIST_LENGTH) -> str:
    """The encodedList: GZIP of the bits (index 0 is the first byte's most significant bit),
    as multibase base64url without padding ("u" prefix)."""
    bits = bytearray(length // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same list gives the same bytes (and ETag) every time.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not multibase base64url")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def status_list_payload(*, revoked: Iterable[int], valid_from) -> dict:
    url = status_list_url()
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": settings.CREDENTIALS_ISSUER_DID,
        "validFrom": valid_from.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_bitstring(revoked),
        },
    }


def enveloped(jwt: str) -> dict:
    """The secured credential as JSON (VC data model 2.0, "enveloped verifiable credential")."""
    return {"@context": VC_CONTEXT, "id": f"data:application/vc+jwt,{jwt}", "type": "EnvelopedVerifiableCredential"}
