"""Every API error is an RFC 9457 problem document (application/problem+json)."""

import json
import logging

import pytest
from rest_framework.test import APIRequestFactory

from api.exceptions import problem_details_handler
from submissions.services import work_get_or_create

pytestmark = pytest.mark.django_db

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "instance"}


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert PROBLEM_KEYS <= set(body)
    assert body["status"] == status
    assert body["code"] == code
    assert body["instance"] == response.request["PATH_INFO"] + (
        f"?{response.request['QUERY_STRING']}" if response.request.get("QUERY_STRING") else ""
    )
    return body


def test_unknown_api_path_is_a_problem_404(client_for):
    body = _assert_problem(client_for(None).get("/api/v1/no-such-thing/"), 404, "not_found")
    assert body["title"] == "Not Found"


def test_missing_trailing_slash_gets_a_hint(client_for):
    body = _assert_problem(client_for(None).get("/api/v1/courses"), 404, "not_found")
    assert "slash" in body["detail"]


def test_hidden_cohort_is_a_problem_404(people, bearer_client):
    _assert_problem(bearer_client(people.stranger).get(f"/api/v1/cohorts/{people.cohort.slug}/"), 404, "not_found")


def test_validation_errors_list_each_field(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/memberships/", {"role": "pilot"}, content_type="application/json"
    )
    body = _assert_problem(response, 400, "invalid")
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"email", "role"}


def test_business_rule_errors_name_the_field(people, bearer_client):
    response = bearer_client(people.instructor).post(
        f"/api/v1/cohorts/{people.cohort.slug}/memberships/",
        {"email": people.mentor.email, "role": "student"},
        content_type="application/json",
    )
    body = _assert_problem(response, 400, "invalid")
    assert body["errors"][0]["field"] == "email"
    assert "already a mentor" in body["errors"][0]["message"]


def test_invalid_query_parameter_is_a_400_with_the_field(client_for, course):
    response = client_for(None).get(f"/api/v1/courses/{course.slug}/weeks/?number_min=zero")
    body = _assert_problem(response, 400, "invalid")
    assert body["errors"][0]["field"] == "number_min"


def test_malformed_json_is_a_400(people, bearer_client):
    response = bearer_client(people.student).patch("/api/v1/me/", "{not json", content_type="application/json")
    _assert_problem(response, 400, "parse_error")


def test_unsupported_method_is_a_problem_405(client_for, course):
    _assert_problem(client_for(None).delete(f"/api/v1/courses/{course.slug}/"), 405, "method_not_allowed")


def test_unsupported_media_type_is_a_problem_415(people, bearer_client):
    response = bearer_client(people.student).patch("/api/v1/me/", "name=x", content_type="text/plain")
    _assert_problem(response, 415, "unsupported_media_type")


def test_missing_credentials_is_a_problem_401_with_the_scheme(client_for):
    response = client_for(None).get("/api/v1/cohorts/")
    _assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_unexpected_errors_become_a_logged_problem_500(caplog):
    request = APIRequestFactory().get("/api/v1/anything/")
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = problem_details_handler(RuntimeError("database exploded"), {"request": request, "view": None})
    assert response.status_code == 500
    assert response.data["code"] == "server_error"
    assert "exploded" not in response.data["detail"]
    assert response.content_type == "application/problem+json"
    assert "Internal Server Error" in caplog.text


def test_unacceptable_accept_header_is_a_problem_406(client_for):
    response = client_for(None).get("/api/v1/bloom-levels/", headers={"Accept": "text/html"})
    _assert_problem(response, 406, "not_acceptable")


def test_site_500_handler_answers_api_paths_with_a_problem(rf):
    from api.views import server_error

    response = server_error(rf.get("/api/v1/cohorts/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "server_error"
    assert server_error(rf.get("/cohorts/"))["Content-Type"].startswith("text/html")


# --- Bodies the parsers refuse: always a 4xx problem, never a 500 ----------------------------


def test_deeply_nested_json_is_a_400_parse_error(people, bearer_client):
    body = "[" * 3000 + "]" * 3000
    response = bearer_client(people.student).post("/api/v1/works/", body, content_type="application/json")
    _assert_problem(response, 400, "parse_error")


def test_json_nested_beyond_the_limit_is_refused_even_when_it_parses(people, bearer_client):
    body = "[" * 200 + "]" * 200  # parses without recursing too deep, but no body of ours nests so far
    response = bearer_client(people.student).post("/api/v1/works/", body, content_type="application/json")
    _assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize("method", ["post", "patch"])
def test_body_over_the_memory_limit_is_a_413(people, bearer_client, settings, method):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default, whatever the test settings say
    week = people.cohort.course.weeks.get(number=1)
    work = work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    body = json.dumps({"cohort": people.cohort.slug, "week": 1, "padding": "x" * 3_000_000})
    client = bearer_client(people.student)
    path = "/api/v1/works/" if method == "post" else f"/api/v1/works/{work.pk}/"
    response = getattr(client, method)(path, body, content_type="application/json")
    problem = _assert_problem(response, 413, "request_too_large")
    assert "2621440 bytes" in problem["detail"]


def test_form_with_too_many_fields_is_a_400(people, bearer_client):
    fields = "&".join(f"f{number}=x" for number in range(1200))
    response = bearer_client(people.student).post(
        "/api/v1/reports/", fields, content_type="application/x-www-form-urlencoded"
    )
    _assert_problem(response, 400, "parse_error")


def test_multipart_with_too_many_fields_is_a_400(people, bearer_client):
    fields = {f"f{number}": "x" for number in range(1200)}
    response = bearer_client(people.student).post("/api/v1/reports/", fields)  # multipart by default
    _assert_problem(response, 400, "parse_error")


def test_session_form_with_too_many_fields_is_a_400(people, client_for):
    """With a session, the CSRF check reads the form before the view does."""
    fields = "&".join(f"f{number}=x" for number in range(1200))
    response = client_for(people.student).post(
        "/api/v1/reports/", fields, content_type="application/x-www-form-urlencoded"
    )
    _assert_problem(response, 400, "parse_error")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/courses%0A/",
        "/api/v1/%0A",
        "/api/%0Aschema/",
        "/api/v1/works/1%0D%0A/",
        "/api/v1/cohorts/x%0Ay/memberships/",
        "/api/v1/works/%00/",
    ],
)
def test_odd_api_paths_are_problem_404s(client_for, path):
    """A newline (or another control character) in the path used to fall through the API's
    catch-all route to the HTML 404 page."""
    response = client_for(None).get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_pages_outside_the_api_keep_the_html_404(client_for):
    response = client_for(None).get("/no-such-page%0A/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
