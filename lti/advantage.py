"""Calling the LMS's LTI Advantage services (AGS line items, scores and results; NRPS
memberships) as this tool: an OAuth 2 access token from the platform's token URL, got with a
client assertion signed by our key (pylti1p3's ServiceConnector does the signing), then
plain HTTP with timeouts.

Errors are sorted into two kinds the callers act on:
- `LmsUnavailable` (a ConnectionError, so durable tasks retry it with backoff): the LMS did
  not answer, timed out, or answered 5xx or 429;
- `LmsRefused`: the LMS answered and said no (4xx other than 429): retrying the same request
  would get the same answer, so it is recorded with the LMS's reason for a person to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from django.core.cache import cache
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from .models import Platform
from .toolconf import registration_for

SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
RESULTS_MEDIA_TYPE = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
GRADE_SCOPES = (SCOPE_LINEITEM, SCOPE_RESULT, SCOPE_SCORE)

# (connect, read) seconds for every call to an LMS: a hung LMS must not hold a worker.
TIMEOUT = (5, 20)
# An NRPS roster is read in pages of this many members, and at most this many pages.
MEMBERSHIP_PAGE = 100
MAX_PAGES = 200


class LmsError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class LmsUnavailable(LmsError, ConnectionError):
    """Worth trying again later."""


class LmsRefused(LmsError):
    """The LMS answered no; the same request would be refused again."""


class _TimeoutSession(requests.Session):
    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        return super().request(*args, **kwargs)


class _Connector(ServiceConnector):
    """pylti1p3's connector with its access tokens kept in the shared cache, so the workers
    of every machine reuse one token per platform and scopes until it expires."""

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        return cache.get(f"lti:token:{scope_key}")

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        # A minute early: a token that expires between the cache and the LMS is a 401.
        lifetime = int(expires_in or 0) - 60
        if lifetime > 0:
            cache.set(f"lti:token:{scope_key}", access_token, lifetime)

    def forget_token(self, scopes) -> None:
        cache.delete(f"lti:token:{self._scope_key(sorted(scopes))}")


def _reason(response: requests.Response) -> str:
    """The LMS's own words, short: an OAuth error_description, an error field, or the text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error_description", "error", "message", "errors"):
            if body.get(key):
                return str(body[key])[:300]
    return (response.text or response.reason or "").strip()[:300]


def _classify(response: requests.Response, doing: str) -> LmsError:
    status = response.status_code
    message = f"{doing}: the LMS answered {status} {_reason(response)}".strip()
    if status >= 500 or status == 429:
        return LmsUnavailable(message, status)
    return LmsRefused(message, status)


@dataclass
class Page:
    body: object
    next_url: str | None


class AdvantageClient:
    """One platform's services, for one set of scopes."""

    def __init__(self, platform: Platform, scopes) -> None:
        self.platform = platform
        self.scopes = sorted(scopes)
        self.connector = _Connector(registration_for(platform), requests_session=_TimeoutSession())

    def _token(self) -> str:
        try:
            return self.connector.get_access_token(self.scopes)
        except LtiServiceException as exc:
            raise _classify(exc.response, "Getting an access token") from exc
        except requests.RequestException as exc:
            raise LmsUnavailable(f"Getting an access token: {exc.__class__.__name__}: {exc}") from exc

    def request(
        self, method: str, url: str, *, doing: str, accept: str, json_body=None, content_type: str = ""
    ) -> Page:
        """One call with a bearer token; a 401 drops the cached token and tries once more
        (the LMS may have revoked it before its expiry)."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token()}", "Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = self.connector._requests_session.request(method, url, json=json_body, headers=headers)
            except requests.RequestException as exc:
                raise LmsUnavailable(f"{doing}: {exc.__class__.__name__}: {exc}") from exc
            if response.status_code == 401 and attempt == 1:
                self.connector.forget_token(self.scopes)
                continue
            if not response.ok:
                raise _classify(response, doing)
            break
        link = response.headers.get("Link", "")
        match = re.search(r'<([^>]*)>\s*;\s*rel="?next"?', link, re.IGNORECASE)
        try:
            body = response.json() if response.content else None
        except ValueError as exc:
            raise LmsRefused(f"{doing}: the LMS answered something that is not JSON") from exc
        return Page(body=body, next_url=match.group(1) if match else None)

    def pages(self, url: str, *, doing: str, accept: str) -> Iterator[Page]:
        for _ in range(MAX_PAGES):
            page = self.request("GET", url, doing=doing, accept=accept)
            yield page
            if not page.next_url:
                return
            url = page.next_url
        raise LmsRefused(f"{doing}: more than {MAX_PAGES} pages")


def with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | {k: v for k, v in params.items() if v is not None}
    return urlunsplit(parts._replace(query=urlencode(query)))


def lineitem_find(client: AdvantageClient, lineitems_url: str, *, resource_id: str) -> dict | None:
    """The context's line item with our resourceId for a week or deliverable, if one exists
    (so a passback that died after creating it finds it instead of making a second one)."""
    url = with_query(lineitems_url, resource_id=resource_id, limit=100)
    for page in client.pages(url, doing="Reading the line items", accept=LINEITEMS_MEDIA_TYPE):
        for item in page.body or []:
            if isinstance(item, dict) and item.get("resourceId") == resource_id:
                return item
    return None


def lineitem_create(client: AdvantageClient, lineitems_url: str, item: dict) -> dict:
    page = client.request(
        "POST",
        lineitems_url,
        doing="Creating the line item",
        accept=LINEITEM_MEDIA_TYPE,
        json_body=item,
        content_type=LINEITEM_MEDIA_TYPE,
    )
    if not isinstance(page.body, dict) or not page.body.get("id"):
        raise LmsRefused("Creating the line item: the LMS answered without the new line item's id")
    return page.body


def score_post(client: AdvantageClient, lineitem_url: str, score: dict) -> None:
    client.request(
        "POST",
        _subpath(lineitem_url, "scores"),
        doing="Sending the score",
        accept="application/json",
        json_body=score,
        content_type=SCORE_MEDIA_TYPE,
    )


def result_of(client: AdvantageClient, lineitem_url: str, *, user_id: str) -> dict | None:
    url = with_query(_subpath(lineitem_url, "results"), user_id=user_id)
    page = client.request("GET", url, doing="Reading the result", accept=RESULTS_MEDIA_TYPE)
    for result in page.body or []:
        if isinstance(result, dict) and str(result.get("userId")) == str(user_id):
            return result
    return None


def memberships(client: AdvantageClient, memberships_url: str) -> Iterator[dict]:
    url = with_query(memberships_url, limit=MEMBERSHIP_PAGE)
    for page in client.pages(url, doing="Reading the course roster", accept=MEMBERSHIPS_MEDIA_TYPE):
        body = page.body if isinstance(page.body, dict) else {}
        yield from body.get("members", [])


def _subpath(lineitem_url: str, tail: str) -> str:
    """AGS: the scores and results URLs are the line item URL's path plus /scores, /results
    (the line item URL may carry a query)."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/" + tail))
