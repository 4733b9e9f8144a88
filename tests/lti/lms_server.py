"""A test LMS: a small but real LTI 1.3 Advantage *platform*, standing in for Canvas or Moodle.

Run by the tests as its own process (tests/lti/harness.py starts it on a free localhost
port); it imports nothing of the course platform, so the tool is tested from the outside,
over HTTP, as a real LMS would talk to it.

Built on `lti1p3platform` (the platform side of LTI 1.3: registration and JWKS, the OIDC
third-party login URL, the signed id_token with the resource link, context, AGS, NRPS and
deep-linking claims, the deep-linking response check, the client-credentials token and the
AGS/NRPS request handlers). What the package leaves to its user is written here: the web
routes (Flask), the in-memory store, the audience and replay checks of the tool's client
assertion, score timestamps, NRPS paging with Link headers, and a control surface:

    GET  /                       HTML: each course with "Launch as …" links, line items, scores
    GET  /launch?user=&context=&link=   start a resource link launch as that person
    GET  /launch?user=&context=&deep_link=1    start a deep-linking request
    GET  /control/state          JSON: everything received and recorded
    POST /control/fail           {"route": "scores", "status": 500, "times": 1}
    POST /control/delay          {"route": "scores", "seconds": 3, "times": 1} (then handled)
    POST /control/members        {"context": …, "user": …, "roles": [...], "name": …, "email": …}
    POST /control/members/remove {"context": …, "user": …} (NRPS then lists them as Deleted)

Configuration: a JSON object in the LMS_CONFIG environment variable (see harness.py).
It prints "listening <url>" once it answers.
"""

from __future__ import annotations

import copy
import datetime
import html
import itertools
import json
import os
import sys
import threading
import time
import typing as t
import uuid
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, redirect, request
from lti1p3platform import exceptions as lti_errors
from lti1p3platform.lineitem import TLineItem
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.response import Response as LtiResponse
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService, TPage
from werkzeug.serving import make_server

ROLES = {
    "instructor": "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "learner": "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    "mentor": "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor",
    "ta": "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
    "admin": "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
}
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"
LINEITEM_MEDIA_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _role_uri(role: str) -> str:
    return ROLES.get(role, role)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class Store:
    """Everything the LMS knows and everything it received, behind one lock (threaded server)."""

    def __init__(self, config: dict) -> None:
        self.lock = threading.RLock()
        self.config = config
        self.users: dict[str, dict] = dict(config.get("users", {}))
        # context id -> {"title", "label", "members": {user id: [role URIs]}, "removed": set()}
        self.contexts: dict[str, dict] = {}
        for context_id, context in config.get("contexts", {}).items():
            self.contexts[context_id] = {
                "title": context.get("title", context_id),
                "label": context.get("label", context_id),
                "members": {user: [_role_uri(r) for r in roles] for user, roles in context.get("members", {}).items()},
                "removed": set(),
            }
        self.resource_links: dict[str, dict] = {}  # id -> {context, title, url, custom, lineitem}
        for link in config.get("resource_links", []):
            self.resource_links[link["id"]] = {"custom": {}, "url": None, **link}
        self.lineitems: dict[str, dict] = {}  # full URL -> line item JSON (+ "context")
        self.pending: dict[str, dict] = {}  # lti_message_hint -> what to launch
        self.launches: list[dict] = []
        self.deep_link_items: list[dict] = []
        self.deep_link_responses: list[dict] = []
        self.tokens: list[dict] = []
        self.token_refusals: list[dict] = []
        self.scores: list[dict] = []  # every score POST that reached the handler, in order
        self.results: dict[tuple[str, str], dict] = {}  # (line item, user) -> latest score
        self.requests: list[dict] = []  # method, route, status of every service request
        self.started: list[dict] = []  # every service request as it arrives (before any delay)
        self.failures: dict[str, list[int]] = {}  # route -> statuses to answer next
        self.delays: dict[str, list[float]] = {}  # route -> seconds to wait before answering
        self.used_jtis: set[str] = set()
        self.ids = itertools.count(1)

    def take_delay(self, route: str) -> float:
        with self.lock:
            queue = self.delays.get(route) or []
            return queue.pop(0) if queue else 0.0

    def take_failure(self, route: str) -> int | None:
        with self.lock:
            queue = self.failures.get(route) or []
            return queue.pop(0) if queue else None


def build_app(config: dict, base_url: str) -> Flask:
    store = Store(config)
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    tool = config["tool"]
    issuer = config.get("issuer") or base_url
    token_url = f"{base_url}/token"

    class Platform(LTI1P3PlatformConfAbstract):
        def init_platform_config(self, **kwargs: t.Any) -> None:
            self._registration = self.get_registration_by_params(**kwargs)

        def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
            registration = (
                Registration()
                .set_iss(issuer)
                .set_client_id(tool["client_id"])
                .set_deployment_id(tool["deployment_id"])
                .set_launch_url(tool["launch_url"])
                .set_deeplink_launch_url(tool.get("deep_link_url") or tool["launch_url"])
                .set_oidc_login_url(tool["login_url"])
                .set_platform_public_key(public_pem)
                .set_platform_private_key(private_pem)
            )
            if tool.get("jwks"):
                registration.set_tool_key_set(tool["jwks"])
            else:
                registration.set_tool_key_set_url(tool["jwks_url"])
            return registration

    class FlaskRequest(Request):
        def build_metadata(self, flask_request: t.Any) -> TRequest:
            get_data: dict[str, t.Any] = flask_request.args.to_dict()
            for number in ("page", "limit"):
                if number in get_data:
                    get_data[number] = int(get_data[number])
            return {
                "method": flask_request.method,
                "form_data": flask_request.form.to_dict(),
                "get_data": get_data,
                "headers": flask_request.headers,
                "content_type": flask_request.content_type,
                "path": flask_request.path,
                "json": flask_request.get_json(force=True, silent=True),
            }

    class Login(OIDCLoginAbstract):
        def set_lti_message_hint(self, **kwargs: t.Any) -> None:
            self._lti_message_hint = kwargs["hint"]

        def get_redirect(self, url: str) -> Response:
            return redirect(url, code=302)

    class Launch(LTIAdvantageMessageLaunchAbstract):
        def render_launch_form(self, launch_data: dict, **kwargs: t.Any) -> Response:
            store.launches[-1]["id_token"] = launch_data["id_token"]
            return Response(
                _page(
                    "Launching…",
                    f"""<form method="post" action="{html.escape(launch_data["launch_url"])}" id="launch">
<input type="hidden" name="id_token" value="{html.escape(launch_data["id_token"])}">
<input type="hidden" name="state" value="{html.escape(launch_data["state"])}">
<noscript><button type="submit">Continue to the tool</button></noscript>
</form>
<script>document.getElementById("launch").submit();</script>""",
                ),
                content_type="text/html",
            )

    class Grades(AssignmentsGradesService):
        def __init__(self, context_id: str, lineitem_url: str | None = None) -> None:
            self.context_id = context_id
            super().__init__(
                FlaskRequest(request), Platform(), f"{base_url}/contexts/{context_id}/lineitems", lineitem_url
            )

        def find_lineitems(
            self, page=1, limit=None, line_item_id=None, resource_link_id=None, resource_id=None, tag=None, **_
        ):
            with store.lock:
                items = [
                    _public_item(item)
                    for item in store.lineitems.values()
                    if item["context"] == self.context_id
                    and (resource_link_id is None or item.get("resourceLinkId") == resource_link_id)
                    and (resource_id is None or item.get("resourceId") == resource_id)
                    and (tag is None or item.get("tag") == tag)
                ]
            return _page_of(items, page, limit)

        def find_lineitem(self, line_item_id: str) -> TLineItem:
            with store.lock:
                item = store.lineitems.get(line_item_id)
                if item is None or item["context"] != self.context_id:
                    raise lti_errors.LineItemNotFoundException()
                return t.cast(TLineItem, _public_item(item))

        def create_lineitem(self, creation_data: TLineItem) -> TLineItem:
            if request.content_type != LINEITEM_MEDIA_TYPE:
                raise lti_errors.LtiServiceException(f"Content-Type must be {LINEITEM_MEDIA_TYPE}", 415)
            if not creation_data or not creation_data.get("label") or not creation_data.get("scoreMaximum"):
                raise lti_errors.LtiServiceException("A line item needs a label and a scoreMaximum", 400)
            return t.cast(TLineItem, _public_item(_create_lineitem(self.context_id, dict(creation_data))))

        def update_lineitem(self, update_data: TLineItem) -> TLineItem:
            with store.lock:
                item = store.lineitems.get(update_data["id"])
                if item is None:
                    raise lti_errors.LineItemNotFoundException()
                item.update({k: v for k, v in update_data.items() if k != "id"})
                return t.cast(TLineItem, _public_item(item))

        def delete_lineitem(self, line_item_id: str) -> None:
            with store.lock:
                if store.lineitems.pop(line_item_id, None) is None:
                    raise lti_errors.LineItemNotFoundException()

        def update_score(self, line_item_id: str, score: t.Any) -> UpdateScoreStatus:
            if request.content_type != SCORE_MEDIA_TYPE:
                raise lti_errors.LtiServiceException(f"Content-Type must be {SCORE_MEDIA_TYPE}", 415)
            with store.lock:
                item = store.lineitems.get(line_item_id)
                if item is None or item["context"] != self.context_id:
                    raise lti_errors.LineItemNotFoundException()
                user = str(score.get("userId", ""))
                if user not in store.contexts[self.context_id]["members"]:
                    raise lti_errors.LtiServiceException(f"User {user} is not a member of this course", 422)
                for required in ("timestamp", "activityProgress", "gradingProgress"):
                    if required not in score:
                        raise lti_errors.LtiServiceException(f"The score has no {required}", 400)
                key = (line_item_id, user)
                previous = store.results.get(key)
                received = {**score, "lineitem": line_item_id, "received_at": _now()}
                if previous and _instant(score["timestamp"]) < _instant(previous["timestamp"]):
                    # AGS 2.0: a score older than the one on record is not applied.
                    store.scores.append({**received, "applied": False})
                    return UpdateScoreStatus.OLD_TIMESTAMP
                store.scores.append({**received, "applied": True})
                store.results[key] = received
                return UpdateScoreStatus.SUCCESS if previous else UpdateScoreStatus.CREATED

        def get_results(self, line_item_id: str, page=1, limit=None, user_id=None, **_) -> TPage:
            with store.lock:
                if line_item_id not in store.lineitems:
                    raise lti_errors.LineItemNotFoundException()
                results = [
                    {
                        "id": f"{line_item_id}/results/{user}",
                        "scoreOf": line_item_id,
                        "userId": user,
                        "resultScore": score.get("scoreGiven"),
                        "resultMaximum": score.get("scoreMaximum"),
                        "comment": score.get("comment"),
                    }
                    for (item, user), score in store.results.items()
                    if item == line_item_id and (user_id is None or user == user_id)
                ]
            return _page_of(results, page, limit)

    class Roster(NamesRoleProvisioningService):
        def __init__(self, context_id: str) -> None:
            self.context_id = context_id
            super().__init__(FlaskRequest(request), Platform(), f"{base_url}/contexts/{context_id}/memberships")

        def get_context_by_id(self) -> Context:
            context = store.contexts[self.context_id]
            return Context(id=self.context_id, label=context["label"], title=context["title"])

        def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
            link = store.resource_links.get(resource_link_id)
            return link is not None and link["context"] == context_id

        def get_member_data_page(self, page=1, limit=None, role=None, since=None, **_) -> TPage:
            with store.lock:
                context = store.contexts[self.context_id]
                members = []
                for user_id, roles in sorted(context["members"].items()):
                    if role and _role_uri(role) not in roles:
                        continue
                    person = store.users.get(user_id, {})
                    members.append(
                        {
                            "status": "Active",
                            "user_id": user_id,
                            "roles": roles,
                            "name": person.get("name", user_id),
                            "email": person.get("email"),
                            "given_name": person.get("given_name"),
                            "family_name": person.get("family_name"),
                        }
                    )
                for user_id in sorted(context["removed"]):
                    members.append({"status": "Deleted", "user_id": user_id, "roles": []})
            return _page_of(members, page, limit)

    def _create_lineitem(context_id: str, data: dict) -> dict:
        with store.lock:
            url = f"{base_url}/contexts/{context_id}/lineitems/{next(store.ids)}"
            item = {**data, "id": url, "context": context_id}
            store.lineitems[url] = item
            return item

    def _record(route: str, status: int) -> None:
        with store.lock:
            store.requests.append({"method": request.method, "route": route, "path": request.path, "status": status})

    def _service_answer(route: str, call: t.Callable[[], LtiResponse]) -> Response:
        with store.lock:
            store.started.append({"method": request.method, "route": route, "path": request.path})
        pause = store.take_delay(route)
        if pause:
            # A slow LMS: the request is handled (and recorded) after the pause, even when the
            # caller has gone meanwhile (a worker killed mid-request).
            time.sleep(pause)
        injected = store.take_failure(route)
        if injected is not None:
            _record(route, injected)
            return Response(json.dumps({"error": "injected failure"}), status=injected, content_type="application/json")
        try:
            answer = call()
        except (jwt.PyJWTError, lti_errors.LtiException) as error:
            # lti1p3platform lets a forged or expired bearer token escape as a JWT error.
            answer = LtiResponse(result=None, code=401, message=f"Invalid LTI 1.3 authentication token: {error}")
        _record(route, answer.code)
        if 200 <= answer.code < 300:
            result = answer.result
            body = result["content"] if isinstance(result, dict) and "content" in result else result
            response = Response(
                json.dumps(body) if body is not None else "",
                status=answer.code,
                content_type=answer.media_type,
            )
            next_url = result.get("next") if isinstance(result, dict) else None
            if next_url:
                # The spec's paging: a Link header, not a field in the body.
                response.headers["Link"] = f'<{next_url}>; rel="next"'
            return response
        return Response(json.dumps({"error": answer.message}), status=answer.code, content_type="application/json")

    def _context_or_404(context_id: str) -> None:
        if context_id not in store.contexts:
            raise _NotFound()

    app = Flask("test-lms")

    class _NotFound(Exception):
        pass

    @app.errorhandler(_NotFound)
    def _not_found(_error):
        return Response(json.dumps({"error": "not found"}), status=404, content_type="application/json")

    @app.get("/.well-known/jwks.json")
    def jwks():
        return Platform().get_jwks()

    @app.get("/launch")
    def launch_start():
        user = request.args["user"]
        context_id = request.args["context"]
        _context_or_404(context_id)
        if user not in store.contexts[context_id]["members"]:
            return Response(f"{user} is not a member of {context_id}", status=403)
        hint = uuid.uuid4().hex
        deep_link = request.args.get("deep_link") == "1"
        link_id = request.args.get("link")
        if not deep_link and link_id not in store.resource_links:
            return Response(f"no resource link {link_id}", status=404)
        with store.lock:
            store.pending[hint] = {
                "user": user,
                "context": context_id,
                "link": link_id,
                "deep_link": deep_link,
                "target": request.args.get("target", "window"),
            }
        login = Login(request, Platform())
        login.set_lti_message_hint(hint=hint)
        if deep_link:
            login.set_deeplinking_launch_url()
        elif store.resource_links[link_id].get("url"):
            login.set_launch_url(store.resource_links[link_id]["url"])
        return login.initiate_login(user)

    @app.route("/auth", methods=["GET", "POST"])
    def authorize():
        """The OIDC authorization endpoint the tool sends the browser to (third-party login)."""
        params = request.values.to_dict()
        hint = params.get("lti_message_hint", "")
        with store.lock:
            pending = store.pending.get(hint)
        registered = {tool["launch_url"], tool.get("deep_link_url") or tool["launch_url"]}
        registered |= {link["url"] for link in store.resource_links.values() if link.get("url")}
        problems = []
        if pending is None:
            problems.append("unknown lti_message_hint")
        elif params.get("login_hint") != pending["user"]:
            problems.append("login_hint is not the person who launched")
        if params.get("scope") != "openid" or params.get("response_type") != "id_token":
            problems.append("scope must be openid and response_type id_token")
        if params.get("response_mode") != "form_post":
            problems.append("response_mode must be form_post")
        if params.get("redirect_uri") not in registered:
            problems.append(f"redirect_uri {params.get('redirect_uri')} is not registered")
        if problems:
            return Response("Refused: " + "; ".join(problems), status=400)

        platform = Platform()
        message = Launch(FlaskRequest(request), platform)
        user_id = pending["user"]
        person = store.users.get(user_id, {})
        context = store.contexts[pending["context"]]
        message.set_user_data(
            user_id,
            context["members"][user_id],
            full_name=person.get("name"),
            email_address=person.get("email"),
        )
        message.set_launch_context_claim(
            pending["context"],
            context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            context_title=context["title"],
            context_label=context["label"],
        )
        message.set_launch_presentation_claim(
            document_target="iframe" if pending["target"] == "iframe" else "window",
            return_url=f"{base_url}/",
        )
        extra = {}
        if person.get("given_name"):
            extra["given_name"] = person["given_name"]
        if person.get("family_name"):
            extra["family_name"] = person["family_name"]
        message.set_extra_claims(extra)
        lineitems_url = f"{base_url}/contexts/{pending['context']}/lineitems"
        if pending["deep_link"]:
            message.set_dl(
                f"{base_url}/deep_link_return",
                title="Add content",
                accept_types={"ltiResourceLink"},
                extra_data={"context": pending["context"]},
            )
        else:
            link = store.resource_links[pending["link"]]
            message.set_resource_link_claim(link["id"], title=link.get("title"))
            if link.get("url"):
                message.set_launch_url(link["url"])
            if link.get("custom"):
                message.set_custom_parameters_claim(link["custom"])
        message.set_ags(lineitems_url, _lineitem_of(pending.get("link")), allow_creating_lineitems=True)
        message.set_nrps(f"{base_url}/contexts/{pending['context']}/memberships")
        with store.lock:
            store.launches.append({**pending, "at": _now()})
            store.pending.pop(hint, None)
        return message.lti_launch()

    def _lineitem_of(link_id: str | None) -> str | None:
        if not link_id:
            return None
        with store.lock:
            for item in store.lineitems.values():
                if item.get("resourceLinkId") == link_id:
                    return item["id"]
        return None

    @app.post("/deep_link_return")
    def deep_link_return():
        platform = Platform()
        try:
            items = platform.validate_deeplinking_resp(request.form.to_dict())
            claims = jwt.decode(request.form["JWT"], options={"verify_signature": False})
        except (lti_errors.LtiException, lti_errors.LtiDeepLinkingResponseException, jwt.PyJWTError, KeyError) as error:
            return Response(f"Refused deep-linking response: {error}", status=400)
        problems = []
        if claims.get("aud") not in (issuer, [issuer]):
            problems.append("aud is not this platform")
        if claims.get("iss") != tool["client_id"]:
            problems.append("iss is not the tool's client id")
        if claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id") != tool["deployment_id"]:
            problems.append("unknown deployment")
        data = claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data")
        context_id = data.get("context") if isinstance(data, dict) else None
        if context_id not in store.contexts:
            problems.append("the data claim does not name the course it was sent for")
        if problems:
            return Response("Refused deep-linking response: " + "; ".join(problems), status=400)
        added = []
        with store.lock:
            store.deep_link_responses.append({"claims": claims, "at": _now()})
            for item in items:
                store.deep_link_items.append({**item, "context": context_id})
                if item.get("type") != "ltiResourceLink":
                    continue
                link_id = f"rl-{next(store.ids)}"
                store.resource_links[link_id] = {
                    "id": link_id,
                    "context": context_id,
                    "title": item.get("title", link_id),
                    "url": item.get("url"),
                    "custom": item.get("custom") or {},
                }
                if item.get("lineItem"):
                    # As Canvas and Moodle do: a gradable item gets its line item now.
                    _create_lineitem(context_id, {**item["lineItem"], "resourceLinkId": link_id})
                added.append(store.resource_links[link_id])
        rows = "".join(f"<li>{html.escape(link['title'])}</li>" for link in added)
        return Response(
            _page(
                "Content added",
                f"<h1>Content added to {html.escape(store.contexts[context_id]['title'])}</h1><ul>{rows}</ul>"
                f'<p><a href="/">Back to the course</a></p>',
            ),
            content_type="text/html",
        )

    @app.post("/token")
    def token():
        injected = store.take_failure("token")
        if injected is not None:
            _record("token", injected)
            return Response(
                json.dumps({"error": "temporarily_unavailable"}), status=injected, content_type="application/json"
            )
        form = request.form.to_dict()

        def refuse(error: str, description: str, status: int = 400) -> Response:
            with store.lock:
                store.token_refusals.append({"error": error, "description": description})
            _record("token", status)
            return Response(
                json.dumps({"error": error, "error_description": description}),
                status=status,
                content_type="application/json",
            )

        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            return refuse("invalid_request", "client_assertion_type must be jwt-bearer")
        platform = Platform()
        try:
            answer = platform.get_access_token(form)
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
        except lti_errors.UnsupportedGrantType:
            return refuse("unsupported_grant_type", "grant_type must be client_credentials")
        except (lti_errors.MissingRequiredClaim, KeyError) as error:
            return refuse("invalid_request", str(error))
        except (lti_errors.LtiException, jwt.PyJWTError) as error:
            return refuse("invalid_client", f"the client assertion is not signed by the tool's key: {error}", 401)
        # lti1p3platform checks the signature and expiry only; the rest of RFC 7523 is ours.
        if claims.get("iss") != tool["client_id"] or claims.get("sub") != tool["client_id"]:
            return refuse("invalid_client", "iss and sub must be the client id", 401)
        if claims.get("aud") not in (token_url, [token_url]) and token_url not in (claims.get("aud") or []):
            return refuse("invalid_client", "aud must be the token endpoint", 401)
        with store.lock:
            if not claims.get("jti") or claims["jti"] in store.used_jtis:
                return refuse("invalid_client", "jti missing or already used", 401)
            store.used_jtis.add(claims["jti"])
            store.tokens.append({"scope": answer["scope"], "at": _now()})
        _record("token", 200)
        return Response(json.dumps(answer), content_type="application/json", headers={"Cache-Control": "no-store"})

    @app.route("/contexts/<context_id>/lineitems", methods=["GET", "POST"])
    def lineitems(context_id: str):
        _context_or_404(context_id)
        service = Grades(context_id)
        if request.method == "POST":
            return _service_answer("lineitems", lambda: service.handle_resp(service.handle_create_lineitem))
        return _service_answer("lineitems", lambda: service.handle_resp(service.handle_get_lineitems))

    @app.route("/contexts/<context_id>/lineitems/<int:number>", methods=["GET", "PUT", "DELETE"])
    def lineitem(context_id: str, number: int):
        _context_or_404(context_id)
        url = f"{base_url}/contexts/{context_id}/lineitems/{number}"
        service = Grades(context_id, url)
        handler = {
            "GET": service.handle_get_lineitem,
            "PUT": service.handle_update_lineitem,
            "DELETE": service.handle_delete_lineitem,
        }[request.method]
        return _service_answer("lineitem", lambda: service.handle_resp(handler, line_item_id=url))

    @app.post("/contexts/<context_id>/lineitems/<int:number>/scores")
    def scores(context_id: str, number: int):
        _context_or_404(context_id)
        url = f"{base_url}/contexts/{context_id}/lineitems/{number}"
        service = Grades(context_id, url)
        return _service_answer("scores", lambda: service.handle_resp(service.handle_update_score, line_item_id=url))

    @app.get("/contexts/<context_id>/lineitems/<int:number>/results")
    def results(context_id: str, number: int):
        _context_or_404(context_id)
        url = f"{base_url}/contexts/{context_id}/lineitems/{number}"
        service = Grades(context_id, url)
        return _service_answer("results", lambda: service.handle_resp(service.handle_get_results, line_item_id=url))

    @app.get("/contexts/<context_id>/memberships")
    def memberships(context_id: str):
        _context_or_404(context_id)
        service = Roster(context_id)
        return _service_answer("memberships", lambda: service.handle_resp(service.handle_get_members))

    # --- The control surface (tests and the browser journey) ---------------------------------

    @app.get("/control/state")
    def state():
        with store.lock:
            snapshot = {
                "issuer": issuer,
                "client_id": tool["client_id"],
                "deployment_id": tool["deployment_id"],
                "users": store.users,
                "contexts": {cid: {**c, "removed": sorted(c["removed"])} for cid, c in store.contexts.items()},
                "resource_links": list(store.resource_links.values()),
                "lineitems": [_public_item(i) | {"context": i["context"]} for i in store.lineitems.values()],
                "launches": store.launches,
                "deep_link_items": store.deep_link_items,
                "tokens": store.tokens,
                "token_refusals": store.token_refusals,
                "scores": store.scores,
                "requests": store.requests,
                "started": store.started,
            }
            return Response(json.dumps(copy.deepcopy(snapshot), default=str), content_type="application/json")

    @app.post("/control/fail")
    def fail():
        body = request.get_json(force=True)
        with store.lock:
            store.failures.setdefault(body["route"], []).extend(
                [int(body.get("status", 500))] * int(body.get("times", 1))
            )
        return {"ok": True}

    @app.post("/control/delay")
    def delay():
        body = request.get_json(force=True)
        with store.lock:
            store.delays.setdefault(body["route"], []).extend([float(body["seconds"])] * int(body.get("times", 1)))
        return {"ok": True}

    @app.post("/control/members")
    def add_member():
        body = request.get_json(force=True)
        with store.lock:
            context = store.contexts[body["context"]]
            user_id = body["user"]
            store.users.setdefault(user_id, {})
            for key in ("name", "email", "given_name", "family_name"):
                if body.get(key):
                    store.users[user_id][key] = body[key]
            context["members"][user_id] = [_role_uri(r) for r in body.get("roles", ["learner"])]
            context["removed"].discard(user_id)
        return {"ok": True}

    @app.post("/control/members/remove")
    def remove_member():
        body = request.get_json(force=True)
        with store.lock:
            context = store.contexts[body["context"]]
            context["members"].pop(body["user"], None)
            context["removed"].add(body["user"])
        return {"ok": True}

    @app.get("/")
    def index():
        with store.lock:
            sections = []
            for context_id, context in store.contexts.items():
                people = []
                for user_id, roles in context["members"].items():
                    name = html.escape(store.users.get(user_id, {}).get("name", user_id))
                    role_names = ", ".join(r.rsplit("#", 1)[-1] for r in roles)
                    links = [
                        f'<a href="/launch?{urlencode({"user": user_id, "context": context_id, "link": link_id})}">'
                        f"Open “{html.escape(link['title'])}” as {name}</a>"
                        for link_id, link in store.resource_links.items()
                        if link["context"] == context_id
                    ]
                    if ROLES["instructor"] in roles:
                        query = urlencode({"user": user_id, "context": context_id, "deep_link": "1"})
                        links.insert(0, f'<a href="/launch?{query}">Add content as {name}</a>')
                    items = "".join(f"<li>{link}</li>" for link in links)
                    people.append(f"<li>{name} ({html.escape(role_names)})<ul>{items}</ul></li>")
                grades = []
                for item in store.lineitems.values():
                    if item["context"] != context_id:
                        continue
                    rows = "".join(
                        f"<tr><td>{html.escape(store.users.get(user, {}).get('name', user))}</td>"
                        f"<td>{html.escape(str(score.get('scoreGiven')))} / {html.escape(str(score.get('scoreMaximum')))}</td>"
                        f"<td>{html.escape(str(score.get('gradingProgress')))}</td></tr>"
                        for (lineitem_url, user), score in store.results.items()
                        if lineitem_url == item["id"]
                    )
                    grades.append(
                        f'<table aria-label="Grades for {html.escape(item["label"])}"><caption>{html.escape(item["label"])}'
                        f"</caption><tr><th>Student</th><th>Score</th><th>Progress</th></tr>{rows}</table>"
                    )
                sections.append(
                    f"<section><h2>{html.escape(context['title'])}</h2><h3>People</h3><ul>{''.join(people)}</ul>"
                    f"<h3>Gradebook</h3>{''.join(grades) or '<p>No graded items yet.</p>'}</section>"
                )
        return Response(_page("Test LMS", "<h1>Test LMS</h1>" + "".join(sections)), content_type="text/html")

    return app


def _public_item(item: dict) -> dict:
    return {k: v for k, v in item.items() if k != "context"}


def _page_of(items: list, page: int, limit: int | None) -> TPage:
    if not limit:
        return {"content": items, "has_next": False}
    start = (page - 1) * limit
    return {"content": items[start : start + limit], "has_next": start + limit < len(items)}


def _instant(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width"></head>'
        f"<body><main>{body}</main></body></html>"
    )


def main() -> None:
    config = json.loads(os.environ["LMS_CONFIG"])
    # Bind first (port 0: a free one), then build the app with the address it got: the
    # issuer, token and service URLs are absolute.
    holder: dict[str, Flask] = {}

    def dispatch(environ, start_response):
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", int(config.get("port", 0)), dispatch, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = build_app(config, base_url)
    print(f"listening {base_url}", flush=True)
    started = time.monotonic()
    try:
        server.serve_forever()
    finally:
        print(f"stopped after {time.monotonic() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
