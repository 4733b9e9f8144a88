"""VC-JOSE: a credential secured as a compact JWS over its own JSON (W3C "Securing Verifiable
Credentials using JOSE and COSE"), header {"alg": "EdDSA", "kid": <verification method>,
"typ": "vc+jwt", "cty": "vc"}. The registered claims `iss`, `jti`, `nbf` and `iat` repeat what
the credential says, for JWT tools and for Open Badges 3.0's JWT proof format."""

from __future__ import annotations

import base64
import datetime
import json

from joserfc import jws

from .keys import ACCEPTED_ALGS, SIGNING_ALG, IssuerKeys

TYP = "vc+jwt"


def sign(payload: dict, keys: IssuerKeys, *, issued_at: datetime.datetime) -> str:
    claims = dict(payload)
    issuer = payload["issuer"]["id"] if isinstance(payload["issuer"], dict) else payload["issuer"]
    claims.update(
        {"iss": issuer, "jti": payload["id"], "nbf": int(issued_at.timestamp()), "iat": int(issued_at.timestamp())}
    )
    header = {"alg": SIGNING_ALG, "kid": keys.signing_kid, "typ": TYP, "cty": "vc"}
    body = json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(header, body, keys.signing, algorithms=[SIGNING_ALG])


def verify(token: str, key) -> dict:
    """The payload of a JWS signed by `key` (raises joserfc's errors when it is not)."""
    obj = jws.deserialize_compact(token, key, algorithms=list(ACCEPTED_ALGS))
    return json.loads(obj.payload)


def payload_of(token: str) -> dict:
    """The content of a JWS we issued ourselves, without checking it again (our stored copy)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
