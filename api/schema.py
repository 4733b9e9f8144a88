"""The OpenAPI generator: drf-spectacular's AutoSchema plus what every endpoint shares.

Each operation automatically documents
- its error responses as `application/problem+json` with the reusable `Problem` schema
  (400 when it takes a body or query parameters, 401, 403, 404 when its path has
  parameters or its list is paginated, 406, 409/422 when it honours Idempotency-Key,
  415 when it takes a body, 429 with Retry-After);
- the `Idempotency-Key` header on methods decorated with `api.idempotency.idempotent`;
- `If-None-Match`, the `ETag` header and `304` on views using `api.etag.ETagMixin`.
So an app's viewset only describes its own success bodies.
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .exceptions import PROBLEM_CONTENT_TYPE
from .idempotency import IDEMPOTENCY_KEY_PARAMETER

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An RFC 9457 problem details document.",
    "properties": {
        "type": {
            "type": "string",
            "description": "A URI naming the problem type; `about:blank` for plain HTTP errors.",
        },
        "title": {"type": "string", "description": "The HTTP status phrase."},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "code": {
            "type": "string",
            "description": "A stable machine-readable code, e.g. `invalid`, `parse_error`, `not_found`, "
            "`not_authenticated`, `permission_denied`, `token_read_only`, `request_too_large`, `throttled`, "
            "`idempotency_key_reused`, `idempotency_request_in_progress`.",
        },
        "detail": {"type": "string", "description": "A human-readable explanation of this occurrence."},
        "instance": {"type": "string", "description": "The request path."},
        "errors": {
            "type": "array",
            "description": "Present on validation errors: one entry per message.",
            "items": {
                "type": "object",
                "properties": {
                    "field": {
                        "type": "string",
                        "nullable": True,
                        "description": "The field (dotted for nested ones), or null for the whole request.",
                    },
                    "message": {"type": "string"},
                },
                "required": ["field", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "code", "detail", "instance"],
}

IF_NONE_MATCH_PARAMETER = OpenApiParameter(
    name="If-None-Match",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="An ETag from an earlier response; when it still matches, the answer is 304 with no body.",
)

_ERROR_DESCRIPTIONS = {
    "400": "The request is malformed or has invalid fields (listed in `errors`).",
    "401": "No valid credentials: sign in, or send `Authorization: Bearer <token>`.",
    "403": "Signed in, but not allowed (including a read-only token on a write, or a missing CSRF token).",
    "404": "Not found, or not visible to you.",
    "406": "The Accept header names no media type this endpoint can produce (it produces application/json).",
    "409": "A request with the same Idempotency-Key is still being processed.",
    "413": "The request body is larger than the server accepts (`request_too_large`; uploaded files have "
    "their own limit, reported as a 400 on the file field).",
    "415": "The request body's media type is not supported.",
    "422": "The Idempotency-Key was already used with a different request.",
    "429": "Too many requests; wait for `Retry-After` seconds.",
}


class AutoSchema(SpectacularAutoSchema):
    def _view_method(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _is_idempotent(self) -> bool:
        return self.method == "POST" and getattr(self._view_method(), "idempotent", False)

    def _uses_etag(self) -> bool:
        return self.method == "GET" and getattr(self.view, "etag_enabled", False)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        if self._uses_etag():
            parameters.append(IF_NONE_MATCH_PARAMETER)
        return parameters

    def get_auth(self):
        auths = super().get_auth()
        if any(getattr(p, "allows_anonymous", False) for p in self.view.get_permissions()) and {} not in auths:
            auths.append({})
        return auths

    def _problem_ref(self) -> dict:
        component = ResolvedComponent(
            name="Problem", type=ResolvedComponent.SCHEMA, schema=PROBLEM_SCHEMA, object="api.Problem"
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _problem_response(self, code: str) -> dict:
        response = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {PROBLEM_CONTENT_TYPE: {"schema": self._problem_ref()}},
        }
        if code == "429":
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}
            }
        if code == "401":
            response["headers"] = {
                "WWW-Authenticate": {"schema": {"type": "string"}, "description": "The accepted scheme: Bearer."}
            }
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        takes_body = self.method in ("POST", "PUT", "PATCH")
        has_query = any(p.get("in") == "query" for p in self._get_parameters())
        has_path_params = "{" in self.path
        codes = ["401", "403", "406", "429"]
        if takes_body or has_query:
            codes.append("400")
        if has_path_params or has_query:
            codes.append("404")
        if takes_body:
            codes += ["413", "415"]
        if self._is_idempotent():
            codes += ["409", "422"]
        for code in sorted(codes):
            responses.setdefault(code, self._problem_response(code))
        if self._is_idempotent():
            replayed = {
                "Idempotent-Replayed": {
                    "schema": {"type": "string", "enum": ["true"]},
                    "description": "Present when this is the stored response to an earlier request with the same key.",
                }
            }
            for code in [c for c in responses if c.startswith("2")]:
                responses[code].setdefault("headers", {}).update(replayed)
        if self._uses_etag():
            etag_header = {"ETag": {"schema": {"type": "string"}, "description": "A strong validator of the body."}}
            for code in [c for c in responses if c.startswith("2")]:
                responses[code].setdefault("headers", {}).update(etag_header)
            responses["304"] = {
                "description": "Not modified: the If-None-Match tag still matches.",
                "headers": etag_header,
            }
        return dict(sorted(responses.items()))
