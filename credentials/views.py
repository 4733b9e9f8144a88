"""The issuer's public documents (DID document, status list), a credential's page, downloads and
QR code, claiming one, and the public verify page."""

from __future__ import annotations

import datetime
import hashlib
import io
import json

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.adapter import client_address
from core.cache import FailSoftRedisCache
from core.forms import service_error_text
from core.http import as_safe_attachment

from . import documents, policies, services, signing
from .forms import VerifyForm
from .keys import issuer_keys
from .models import Credential
from .verification import verify_text

# The status list's validFrom while nothing is revoked: fixed, so the list's bytes (and ETag)
# change only when a revocation does.
LIST_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
PUBLIC_REVALIDATE = "public, max-age=0, must-revalidate"
RATE_UNITS = {"s": 1, "m": 60, "h": 3600}


def _public_document(response: HttpResponse, body: bytes, request: HttpRequest) -> HttpResponse:
    """A document any verifier may fetch, from any origin, revalidated on each use."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response["ETag"] = etag
    response["Cache-Control"] = PUBLIC_REVALIDATE
    response["Access-Control-Allow-Origin"] = "*"
    return get_conditional_response(request, etag=etag, response=response)


@require_safe
def did_document(request: HttpRequest) -> HttpResponse:
    """/.well-known/did.json: the did:web document with every key we have signed with."""
    body = json.dumps(documents.did_document(issuer_keys()), indent=2).encode()
    return _public_document(HttpResponse(body, content_type="application/did+json"), body, request)


@require_safe
def status_list(request: HttpRequest, number: int) -> HttpResponse:
    """The signed Bitstring Status List credential (one query: the revoked indexes)."""
    if number != documents.STATUS_LIST_NUMBER:
        return HttpResponse("No such status list.", status=404, content_type="text/plain")
    revoked = list(Credential.objects.revoked().values_list("status_index", "revoked_at"))
    valid_from = max((at for _, at in revoked), default=LIST_EPOCH).replace(microsecond=0)
    payload = documents.status_list_payload(revoked=[index for index, _ in revoked], valid_from=valid_from)
    token = signing.sign(payload, issuer_keys(), issued_at=valid_from).encode()
    return _public_document(HttpResponse(token, content_type="application/vc+jwt"), token, request)


@require_safe
def detail(request: HttpRequest, pk) -> HttpResponse:
    credential = policies.credential_get_for_viewer(request.user, pk)
    payload = signing.payload_of(credential.jwt)
    return render(
        request,
        "credentials/detail.html",
        {
            "credential": credential,
            "payload": payload,
            "pretty": json.dumps(payload, indent=2, ensure_ascii=False),
            "url": documents.credential_url(credential.pk),
            "is_holder": request.user.is_authenticated and request.user.pk == credential.user_id,
        },
    )


def _download(request: HttpRequest, pk, *, kind: str) -> HttpResponse:
    credential = policies.credential_get_for_viewer(request.user, pk)
    if kind == "jwt":
        response = HttpResponse(credential.jwt, content_type="application/vc+jwt")
    else:
        body = json.dumps(documents.enveloped(credential.jwt), indent=2)
        response = HttpResponse(body, content_type="application/json")
    # Revoked ones are only the holder's to fetch: nobody else's cache keeps them.
    return as_safe_attachment(
        response, filename=f"credential-{credential.pk}.{kind}", cache_control="private, no-store"
    )


@require_safe
def download_jwt(request: HttpRequest, pk) -> HttpResponse:
    return _download(request, pk, kind="jwt")


@require_safe
def download_json(request: HttpRequest, pk) -> HttpResponse:
    return _download(request, pk, kind="json")


@require_safe
def qr_code(request: HttpRequest, pk) -> HttpResponse:
    """An SVG QR code of the credential's address, for a phone (or a wallet that opens links)."""
    credential = policies.credential_get_for_viewer(request.user, pk)
    out = io.BytesIO()
    segno.make(documents.credential_url(credential.pk), error="m").save(
        out, kind="svg", scale=6, border=4, title=f"QR code of the credential “{credential.title}”", xmldecl=False
    )
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def claim(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = policies.entry_get_for_claim(request.user, entry_id)
    try:
        credential = services.credential_claim(entry=entry, by=request.user)
    except ValidationError as exc:
        messages.error(request, service_error_text(exc))
        return redirect("portfolios:editor")
    messages.success(request, f"Your credential for “{credential.title}” is ready.")
    return redirect("credentials:detail", pk=credential.pk)


def _allowed(request: HttpRequest) -> tuple[bool, int]:
    """Count one check for the client's address: (allowed, seconds to wait when not)."""
    count, unit = settings.CREDENTIALS_VERIFY_RATE.split("/")
    limit, duration = int(count), RATE_UNITS[unit]
    key = f"credentials-verify:{client_address(request) or 'unknown'}"
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, FailSoftRedisCache):
        return backend.count_request(key, limit=limit, duration=duration)
    # Local memory (the embedded default): a fixed window is enough for one process.
    backend.add(key, 0, timeout=duration)
    try:
        used = backend.incr(key)
    except ValueError:  # expired between add and incr
        backend.set(key, 1, timeout=duration)
        used = 1
    return used <= limit, duration


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a credential: paste it or upload it. From a portfolio's "Verify" link the
    credential is filled in; the check runs only when the visitor asks (a GET never hashes
    files for a crawler)."""
    report, status, wait = None, 200, 0
    if request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        allowed, wait = _allowed(request)
        if not allowed:
            status = 429
        elif form.is_valid():
            report = verify_text(form.cleaned_data["text"])
        else:
            status = 400
    else:
        initial = {}
        wanted = request.GET.get("credential", "")
        if wanted:
            try:
                initial["credential"] = policies.credential_get_for_viewer(request.user, wanted).jwt
            except (Http404, ValidationError):
                pass  # unknown, revoked or not an id: an empty form
        form = VerifyForm(initial=initial)
    context = {"form": form, "report": report, "limited": status == 429, "wait": max(1, wait)}
    response = render(request, "credentials/verify.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(max(1, wait))
    return response
