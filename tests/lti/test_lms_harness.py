"""The test LMS itself (tests/lti/lms_server.py), checked from the tool's side with a key of
the test's own: what later tests rely on (signed launches, deep-linking responses, the
token endpoint's checks, AGS and NRPS with paging, injected failures) must hold, or a tool
test could pass against a platform that accepts anything."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from .harness import (
    CLIENT_ID,
    DEPLOYMENT_ID,
    INSTRUCTOR,
    LEARNER,
    _get_no_redirect,
    parse_form,
    person,
    running_lms,
)

TOOL = "http://tool.test"
SCORE = "application/vnd.ims.lis.v1.score+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


@pytest.fixture(scope="module")
def tool_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def lms(tool_key):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(tool_key.public_key()))
    tool = {
        "client_id": CLIENT_ID,
        "deployment_id": DEPLOYMENT_ID,
        "login_url": f"{TOOL}/lti/login/",
        "launch_url": f"{TOOL}/lti/launch/",
        "deep_link_url": f"{TOOL}/lti/launch/",
        "jwks": {"keys": [{**public, "kid": "tool-1", "alg": "RS256", "use": "sig"}]},
    }
    users = {f"u-{n}": person(f"Person {n}", f"p{n}@uni.example") for n in range(1, 8)}
    members = {"u-1": [INSTRUCTOR]} | {f"u-{n}": [LEARNER] for n in range(2, 8)}
    contexts = {"c-1": {"title": "Backend Engineering", "label": "BE101", "members": members}}
    links = [{"id": "rl-week-1", "context": "c-1", "title": "Week 1", "custom": {"week": "1"}}]
    with running_lms(tool=tool, users=users, contexts=contexts, resource_links=links) as started:
        yield started


def _assertion(tool_key, lms, **changes) -> str:
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": lms.token_url,
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "jti": uuid.uuid4().hex,
    } | changes
    return jwt.encode(claims, tool_key, algorithm="RS256", headers={"kid": "tool-1"})


def _post(url: str, data: bytes, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _get(url: str, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _token(tool_key, lms, **changes) -> tuple[int, dict]:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": _assertion(tool_key, lms, **changes),
        "scope": " ".join(AGS_SCOPES),
    }
    status, _, body = _post(lms.token_url, urlencode(form).encode(), {})
    return status, json.loads(body)


def _authorize(lms, login_redirect: str, **changes) -> tuple[int, str]:
    login = parse_qs(urlsplit(login_redirect).query)
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": CLIENT_ID,
        "redirect_uri": login["target_link_uri"][0],
        "login_hint": login["login_hint"][0],
        "lti_message_hint": login["lti_message_hint"][0],
        "state": "state-1",
        "nonce": "nonce-1",
    } | changes
    answer = _get_no_redirect(f"{lms.auth_url}?{urlencode(params)}")
    return answer.status, answer.body


def _verified(lms, id_token: str) -> dict:
    key = jwt.PyJWKClient(lms.jwks_url).get_signing_key_from_jwt(id_token)
    return jwt.decode(id_token, key.key, algorithms=["RS256"], audience=CLIENT_ID, issuer=lms.issuer)


def test_a_launch_starts_a_third_party_login_and_answers_a_signed_id_token(lms):
    start = _get_no_redirect(lms.launch_url(user="u-2", context="c-1", link="rl-week-1"))
    assert start.status == 302
    location = start.headers["Location"]
    assert location.startswith(f"{TOOL}/lti/login/?")
    login = parse_qs(urlsplit(location).query)
    assert login["iss"] == [lms.issuer]
    assert login["login_hint"] == ["u-2"]
    assert login["client_id"] == [CLIENT_ID]
    assert login["lti_deployment_id"] == [DEPLOYMENT_ID]

    status, page = _authorize(lms, location)
    assert status == 200
    action, fields = parse_form(page)
    assert action == f"{TOOL}/lti/launch/"
    assert fields["state"] == "state-1"
    claims = _verified(lms, fields["id_token"])
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    assert claims["sub"] == "u-2"
    assert claims["nonce"] == "nonce-1"
    assert claims[lti + "message_type"] == "LtiResourceLinkRequest"
    assert claims[lti + "roles"] == ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]
    assert claims[lti + "context"]["id"] == "c-1"
    assert claims[lti + "resource_link"]["id"] == "rl-week-1"
    assert claims[lti + "custom"] == {"week": "1"}
    assert claims[lti + "deployment_id"] == DEPLOYMENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitems"] == lms.lineitems_url("c-1")
    nrps = claims["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"]
    assert nrps["context_memberships_url"] == lms.memberships_url("c-1")


def test_the_authorization_endpoint_refuses_another_person_or_an_unregistered_redirect(lms):
    location = _get_no_redirect(lms.launch_url(user="u-2", context="c-1", link="rl-week-1")).headers["Location"]
    status, body = _authorize(lms, location, login_hint="u-3")
    assert (status, "login_hint is not the person who launched" in body) == (400, True)
    location = _get_no_redirect(lms.launch_url(user="u-2", context="c-1", link="rl-week-1")).headers["Location"]
    status, body = _authorize(lms, location, redirect_uri="https://evil.example/launch")
    assert (status, "is not registered" in body) == (400, True)


def test_a_deep_linking_request_and_response_add_gradable_links(lms, tool_key):
    location = _get_no_redirect(lms.launch_url(user="u-1", context="c-1", deep_link=True)).headers["Location"]
    _, page = _authorize(lms, location)
    claims = _verified(lms, parse_form(page)[1]["id_token"])
    settings = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingRequest"
    assert settings["accept_types"] == ["ltiResourceLink"]

    response = {
        "iss": CLIENT_ID,
        "aud": lms.issuer,
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
        "nonce": uuid.uuid4().hex,
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
        "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": DEPLOYMENT_ID,
        "https://purl.imsglobal.org/spec/lti-dl/claim/data": settings["data"],
        "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [
            {
                "type": "ltiResourceLink",
                "title": "Week 2",
                "url": f"{TOOL}/lti/launch/",
                "custom": {"week": "2"},
                "lineItem": {"label": "Week 2", "scoreMaximum": 100, "resourceId": "week-2"},
            }
        ],
    }
    signed = jwt.encode(response, tool_key, algorithm="RS256", headers={"kid": "tool-1"})
    status, body = lms.post_form(settings["deep_link_return_url"], {"JWT": signed})
    assert status == 200, body
    state = lms.state()
    link = next(link for link in state["resource_links"] if link["title"] == "Week 2")
    assert link["custom"] == {"week": "2"}
    item = next(item for item in state["lineitems"] if item.get("resourceId") == "week-2")
    assert item["resourceLinkId"] == link["id"]

    forged = jwt.encode(
        response,
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": "tool-1"},
    )
    assert lms.post_form(settings["deep_link_return_url"], {"JWT": forged})[0] == 400


def test_the_token_endpoint_checks_the_tools_client_assertion(lms, tool_key):
    status, answer = _token(tool_key, lms)
    assert status == 200
    assert answer["token_type"] == "bearer"
    assert set(answer["scope"].split()) == set(AGS_SCOPES)

    assert _token(tool_key, lms, aud="https://elsewhere.example/token")[0] == 401
    replayed = _assertion(tool_key, lms)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": replayed,
        "scope": AGS_SCOPES[0],
    }
    assert _post(lms.token_url, urlencode(form).encode(), {})[0] == 200
    assert _post(lms.token_url, urlencode(form).encode(), {})[0] == 401
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _token(other_key, lms)[0] == 401
    assert _token(tool_key, lms, exp=int(time.time()) - 60)[0] == 401


def test_line_items_scores_and_results_with_a_bearer_token(lms, tool_key):
    token = _token(tool_key, lms)[1]["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    item = {"label": "Week 3", "scoreMaximum": 100, "resourceId": "week-3"}
    status, _, body = _post(lms.lineitems_url("c-1"), json.dumps(item).encode(), auth | {"Content-Type": LINEITEM})
    assert status == 201
    lineitem = json.loads(body)["id"]
    status, _, body = _get(f"{lms.lineitems_url('c-1')}?resource_id=week-3", auth)
    assert [i["id"] for i in json.loads(body)] == [lineitem]

    score = {
        "userId": "u-2",
        "scoreGiven": 87.5,
        "scoreMaximum": 100,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": "2026-12-03T10:00:00+00:00",
    }
    assert _post(f"{lineitem}/scores", json.dumps(score).encode(), auth | {"Content-Type": SCORE})[0] == 201
    assert (
        _post(f"{lineitem}/scores", json.dumps(score).encode(), auth | {"Content-Type": "application/json"})[0] == 415
    )
    older = score | {"scoreGiven": 10, "timestamp": "2026-12-03T09:00:00+00:00"}
    assert _post(f"{lineitem}/scores", json.dumps(older).encode(), auth | {"Content-Type": SCORE})[0] == 409
    stranger = score | {"userId": "u-99"}
    assert _post(f"{lineitem}/scores", json.dumps(stranger).encode(), auth | {"Content-Type": SCORE})[0] == 422
    status, _, body = _get(f"{lineitem}/results", auth)
    assert [(r["userId"], r["resultScore"]) for r in json.loads(body)] == [("u-2", 87.5)]

    lms.fail_next("scores", status=500)
    assert _post(f"{lineitem}/scores", json.dumps(score).encode(), auth | {"Content-Type": SCORE})[0] == 500
    assert _post(f"{lineitem}/scores", json.dumps(score).encode(), auth | {"Content-Type": SCORE})[0] == 200

    assert _post(f"{lineitem}/scores", json.dumps(score).encode(), {"Content-Type": SCORE})[0] == 401
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode({"iss": lms.issuer, "scopes": AGS_SCOPES[1]}, other_key, algorithm="RS256")
    headers = {"Authorization": f"Bearer {forged}", "Content-Type": SCORE}
    assert _post(f"{lineitem}/scores", json.dumps(score).encode(), headers)[0] == 401


def test_the_roster_is_paged_with_link_headers_and_lists_removed_people(lms, tool_key):
    token = _token(tool_key, lms)[1]["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    lms.add_member(context="c-1", user="u-8", roles=[LEARNER], name="New Person", email="new@uni.example")
    lms.remove_member(context="c-1", user="u-7")

    url, members, pages = f"{lms.memberships_url('c-1')}?limit=3", [], 0
    while url:
        status, headers, body = _get(url, auth)
        assert status == 200
        assert headers["Content-Type"] == "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
        members += json.loads(body)["members"]
        pages += 1
        link = headers.get("Link", "")
        url = link[1 : link.index(">")] if 'rel="next"' in link else None
    assert pages == 3
    statuses = {m["user_id"]: m["status"] for m in members}
    assert statuses["u-8"] == "Active"
    assert statuses["u-7"] == "Deleted"
    assert len(statuses) == 8
