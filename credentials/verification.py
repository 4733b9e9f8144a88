"""Checking a credential someone pastes or uploads: what holds, check by check, in words.

The input is hostile until proven otherwise: any size up to MAX_INPUT_BYTES, any JSON, any
JWS. Every step reads it defensively and a failure becomes a check that "does not hold" (or
"could not be checked"), never an exception. Nothing is fetched from the network: the issuer
is recognised only when it is this platform's DID, whose keys we hold; the status is read from
our own list; the evidence digests are compared with the files our portfolio pages publish.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import Resolver404, resolve
from django.utils import timezone
from joserfc.errors import JoseError

from core.storage import open_for_download
from portfolios.policies import can_view_portfolio

from . import documents, signing
from .keys import ACCEPTED_ALGS, issuer_keys
from .models import STATUS_LIST_LENGTH, Credential
from .selectors import is_index_revoked

MAX_INPUT_BYTES = 64 * 1024
JWS_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
ENVELOPE_PREFIX = "data:application/vc+jwt,"
HOLDS, FAILS, UNKNOWN = "holds", "fails", "unknown"
# What reading hostile JSON can raise: bad text, bad types, and nesting deep enough to exhaust
# the parser's recursion.
_BAD_INPUT = (ValueError, TypeError, KeyError, AttributeError, UnicodeError, binascii.Error, RecursionError)


@dataclass
class Check:
    key: str
    title: str
    status: str
    detail: str
    items: list[tuple[str, str, str]] = field(default_factory=list)  # (name, status, detail)


@dataclass
class Report:
    problem: str = ""  # the input is not a credential at all
    checks: list[Check] = field(default_factory=list)
    name: str = ""
    holder: str = ""
    credential_id: str = ""

    @property
    def valid(self) -> bool:
        return not self.problem and bool(self.checks) and all(c.status == HOLDS for c in self.checks)

    def check(self, key: str) -> Check | None:
        return next((c for c in self.checks if c.key == key), None)


def _b64json(part: str):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def extract_token(text: str) -> tuple[str | None, str]:
    """The compact JWS in what was given (the .jwt itself, or the .json envelope), or why not."""
    text = text.strip()
    if not text:
        return None, "Paste a credential or choose its file."
    if len(text.encode()) > MAX_INPUT_BYTES:
        return None, f"That is larger than {MAX_INPUT_BYTES // 1024} KB; no credential of ours is."
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except _BAD_INPUT:
            return None, "This is not valid JSON."
        if not isinstance(data, dict):
            return None, "This JSON is not a credential."
        ident = data.get("id")
        if data.get("type") == "EnvelopedVerifiableCredential" and isinstance(ident, str):
            if ident.startswith(ENVELOPE_PREFIX) and JWS_RE.match(ident[len(ENVELOPE_PREFIX) :]):
                return ident[len(ENVELOPE_PREFIX) :], ""
            return None, "This envelope does not hold a VC-JOSE credential (data:application/vc+jwt,…)."
        if "proof" in data:
            return None, (
                "This credential is secured with an embedded proof (Data Integrity); this platform issues "
                "and checks VC-JOSE credentials (.jwt, or the .json envelope around one)."
            )
        if "credentialSubject" in data:
            return None, (
                "This is a credential's content without its signature, so nothing in it can be checked. "
                "Use the .jwt or .json download."
            )
        return None, "This JSON is not a credential."
    if JWS_RE.match(text):
        return text, ""
    return None, "This is neither a credential file (.jwt or .json) nor a pasted credential."


def verify_text(text: str, *, now: datetime.datetime | None = None) -> Report:
    token, problem = extract_token(text)
    if token is None:
        return Report(problem=problem)
    try:
        header = _b64json(token.split(".")[0])
        payload = _b64json(token.split(".")[1])
    except _BAD_INPUT:
        return Report(problem="The credential's header or content cannot be read (not base64url JSON).")
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return Report(problem="The credential's header or content is not a JSON object.")
    report = Report(
        name=payload.get("name") if isinstance(payload.get("name"), str) else "",
        holder=payload.get("description") if isinstance(payload.get("description"), str) else "",
        credential_id=payload.get("id") if isinstance(payload.get("id"), str) else "",
    )
    signature = _check_signature(token, header)
    report.checks.append(signature)
    report.checks.append(_check_issuer(header, payload))
    report.checks.append(_check_content(payload, now or timezone.now()))
    trusted = signature.status == HOLDS
    report.checks.append(_check_status(payload, trusted))
    report.checks.append(_check_evidence(payload, trusted))
    return report


def _check_signature(token: str, header: dict) -> Check:
    title = "Signature"
    keys = issuer_keys()
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
    if alg not in ACCEPTED_ALGS:
        return Check(
            "signature", title, FAILS, f"Signed with {alg!r}; our credentials are signed with EdDSA (Ed25519)."
        )
    if typ != signing.TYP:
        return Check("signature", title, FAILS, f"The header's type is {typ!r}, not {signing.TYP!r}.")
    if not isinstance(kid, str):
        return Check("signature", title, FAILS, "The header names no key (kid).")
    key = keys.public_key_for(kid)
    if key is None:
        if kid.startswith(keys.did + "#"):
            return Check(
                "signature", title, FAILS, "It names a key of this platform that our DID document does not hold."
            )
        return Check(
            "signature", title, UNKNOWN, "It was signed by another issuer's key, which this page cannot check."
        )
    try:
        signing.verify(token, key)
    except (JoseError, *_BAD_INPUT):
        return Check(
            "signature",
            title,
            FAILS,
            "The signature does not match the content: the credential was changed after it was signed.",
        )
    current = "the current key" if key is keys.signing else "a key we used before a rotation, still published"
    return Check("signature", title, HOLDS, f"Signed with {current} ({kid}); nothing in it changed since.")


def _issuer_id(payload: dict):
    issuer = payload.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


def _check_issuer(header: dict, payload: dict) -> Check:
    title = "Issuer"
    did = settings.CREDENTIALS_ISSUER_DID
    issuer = _issuer_id(payload)
    if issuer != did:
        return Check(
            "issuer",
            title,
            FAILS if not isinstance(issuer, str) else UNKNOWN,
            f"The issuer is {issuer!r}, not this platform ({did}).",
        )
    if payload.get("iss", did) != did or not str(header.get("kid", "")).startswith(did + "#"):
        return Check(
            "issuer", title, FAILS, "The credential names this platform as issuer but was signed or claimed by another."
        )
    return Check(
        "issuer",
        title,
        HOLDS,
        f"Issued by this platform, {settings.CREDENTIALS_ISSUER_NAME} ({did}), "
        "whose keys are in /.well-known/did.json.",
    )


def _parse_time(value) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _check_content(payload: dict, now: datetime.datetime) -> Check:
    title = "Open Badges 3.0 content"
    context, kinds = payload.get("@context"), payload.get("type")
    problems = []
    if not (isinstance(context, list) and context[:1] == [documents.VC_CONTEXT] and documents.OB_CONTEXT in context):
        problems.append("its @context is not the Verifiable Credentials 2.0 and Open Badges 3.0 contexts")
    if not (isinstance(kinds, list) and "VerifiableCredential" in kinds and "OpenBadgeCredential" in kinds):
        problems.append("it is not typed OpenBadgeCredential")
    subject = payload.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not (isinstance(achievement, dict) and isinstance(achievement.get("name"), str) and achievement.get("criteria")):
        problems.append("it names no achievement with criteria")
    valid_from = _parse_time(payload.get("validFrom"))
    if valid_from is None:
        problems.append("its validFrom is missing or not a date-time")
    elif valid_from > now + datetime.timedelta(minutes=5):
        problems.append("it is not valid yet")
    if "validUntil" in payload:
        valid_until = _parse_time(payload.get("validUntil"))
        if valid_until is None or valid_until <= now:
            problems.append("it has expired")
    if problems:
        return Check("content", title, FAILS, "Not a valid credential: " + "; ".join(problems) + ".")
    return Check(
        "content",
        title,
        HOLDS,
        f"An OpenBadgeCredential for “{achievement['name']}”, valid since {valid_from.day} {valid_from:%b %Y}.",
    )


def _check_status(payload: dict, trusted: bool) -> Check:
    title = "Status"
    status = payload.get("credentialStatus")
    entries = status if isinstance(status, list) else [status]
    ours = [
        s
        for s in entries
        if isinstance(s, dict)
        and s.get("type") == "BitstringStatusListEntry"
        and s.get("statusPurpose") == "revocation"
        and s.get("statusListCredential") == documents.status_list_url()
    ]
    if not ours:
        return Check("status", title, FAILS, "It names no revocation entry in this platform's status list.")
    raw = ours[0].get("statusListIndex")
    if not (isinstance(raw, str) and raw.isdigit() and int(raw) < STATUS_LIST_LENGTH):
        return Check("status", title, FAILS, "Its status list index is not a number within the list.")
    if not trusted:
        return Check(
            "status", title, UNKNOWN, "Not checked: without a valid signature its status entry may have been changed."
        )
    if is_index_revoked(int(raw)):
        return Check(
            "status",
            title,
            FAILS,
            "Revoked: the learner unpublished this work, made their portfolio private, or it was taken down.",
        )
    return Check("status", title, HOLDS, f"Not revoked (index {raw} of {documents.status_list_url()} reads 0).")


def _credential_row(payload: dict) -> Credential | None:
    ident = payload.get("id")
    if not isinstance(ident, str) or not ident.startswith(settings.SITE_URL + "/"):
        return None
    try:
        match = resolve(urlsplit(ident).path)
    except Resolver404:
        return None
    if match.view_name != "credentials:detail":
        return None
    try:
        pk = uuid.UUID(str(match.kwargs.get("pk")))
    except ValueError:
        return None
    return Credential.objects.filter(pk=pk).select_related("entry__portfolio").first()


def _sha256_of(fieldfile) -> str | None:
    try:
        handle, _ = open_for_download(fieldfile)
    except FileNotFoundError:
        return None
    digest = hashlib.sha256()
    with handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_evidence(payload: dict, trusted: bool) -> Check:
    title = "Evidence"
    evidence = payload.get("evidence")
    if not isinstance(evidence, list):
        return Check("evidence", title, FAILS, "It carries no evidence.")
    digests = [
        (
            item.get("name") if isinstance(item.get("name"), str) else "file",
            documents.hex_from_sri(item.get("digestSRI")),
        )
        for item in evidence
        if isinstance(item, dict) and "digestSRI" in item
    ]
    if any(d is None for _, d in digests):
        return Check("evidence", title, FAILS, "A proof's digest is not a SHA-256 (digestSRI).")
    if not trusted:
        return Check(
            "evidence", title, UNKNOWN, "Not checked: without a valid signature the digests may have been changed."
        )
    credential = _credential_row(payload)
    entry = credential.entry if credential else None
    if entry is None:
        return Check("evidence", title, UNKNOWN, "The portfolio entry it points at is no longer here.")
    if not (entry.is_published and can_view_portfolio(AnonymousUser(), entry.portfolio)):
        return Check("evidence", title, FAILS, "The portfolio entry it points at is no longer published.")
    published = {}
    for proof in entry.proofs.filter(kind="file").select_related("artifact"):
        published.setdefault(proof.sha256, proof)
    items = []
    for name, digest in digests:
        proof = published.get(digest)
        if proof is None:
            items.append((name, FAILS, "no file with this SHA-256 is published on the entry any more"))
            continue
        actual = _sha256_of(proof.artifact.file)
        if actual is None:
            items.append((name, FAILS, "the published file is missing"))
        elif actual != digest:
            items.append((name, FAILS, f"the published file changed: its SHA-256 is now {actual}"))
        else:
            items.append((name, HOLDS, f"the published file still has SHA-256 {digest}"))
    if not digests:
        return Check("evidence", title, HOLDS, "The portfolio entry is published; it has no proof files to compare.")
    failed = [i for i in items if i[1] != HOLDS]
    if failed:
        return Check(
            "evidence",
            title,
            FAILS,
            f"{len(failed)} of {len(items)} proof files do not match what is published.",
            items,
        )
    return Check(
        "evidence", title, HOLDS, f"The entry is published and all {len(items)} proof files match their SHA-256.", items
    )
