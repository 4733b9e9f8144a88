"""The LTI 1.3 tool's endpoints: the JWKS, OIDC login initiation, the launch, and the pages
a launch leads to (course choice, account linking, deep linking)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from . import keys


@require_GET
def jwks(request: HttpRequest) -> HttpResponse:
    """Our public keys: the current one and, during a rotation, the retiring one. Platforms
    fetch it to check our deep-linking responses and client assertions."""
    response = JsonResponse({"keys": keys.published_keys()})
    # Short enough that a rotation reaches every platform within the hour the retiring key
    # stays published (docs/integrations.md, "Key rotation").
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
