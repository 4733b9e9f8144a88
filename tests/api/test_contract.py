"""The contract: every documented operation, called as every role, answers with the status
the policies promise and a response that conforms to the published schema (status code,
content type, headers and body).

Adding an endpoint? Add its operationId to EXPECTED (and, if it has path parameters or a
body, to `_request`); `test_every_documented_operation_has_expectations` fails until you do.
Requests use the browser session with a CSRF token, as the pages' own JavaScript would;
token authentication is walked by tests/api/test_schemathesis.py.
"""

import datetime

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cohorts.models import Membership, MentorAssignment
from tests.api.conftest import ROLES, load_api_schema, person
from tests.factories import ExtensionFactory, PersonalAccessTokenFactory, UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

PUBLIC = dict.fromkeys(ROLES, 200)
SIGNED_IN = {**dict.fromkeys(ROLES, 200), "anonymous": 401}
# The cohort of `people`: its members see it; strangers and other cohorts' people get 404.
MEMBERS_SEE = {
    "anonymous": 401,
    "stranger": 404,
    "student": 200,
    "other_student": 200,
    "mentor": 200,
    "foreign_mentor": 404,
    "instructor": 200,
    "admin": 200,
}


def _managers(success: int) -> dict[str, int]:
    """Instructors and admins may; other members are refused (403); outsiders see nothing (404)."""
    return {
        **MEMBERS_SEE,
        "student": 403,
        "other_student": 403,
        "mentor": 403,
        "instructor": success,
        "admin": success,
    }


EXPECTED: dict[str, dict[str, int]] = {
    # curriculum: public, like the course pages
    "bloom_levels_list": PUBLIC,
    "courses_list": PUBLIC,
    "courses_retrieve": PUBLIC,
    "courses_weeks_list": PUBLIC,
    "courses_weeks_retrieve": PUBLIC,
    "courses_capstones_list": PUBLIC,
    # accounts
    "me_retrieve": SIGNED_IN,
    "me_partial_update": SIGNED_IN,
    "tokens_list": SIGNED_IN,
    "tokens_create": {**SIGNED_IN, **{role: 201 for role in ROLES if role != "anonymous"}},
    "tokens_destroy": {**SIGNED_IN, **{role: 204 for role in ROLES if role != "anonymous"}},
    # cohorts
    "cohorts_list": SIGNED_IN,
    "cohorts_retrieve": MEMBERS_SEE,
    "cohorts_schedule_list": MEMBERS_SEE,
    "cohorts_memberships_list": MEMBERS_SEE,
    "cohorts_memberships_create": _managers(201),
    "cohorts_memberships_destroy": _managers(204),
    "cohorts_mentor_assignments_list": {**MEMBERS_SEE, "student": 403, "other_student": 403},
    "cohorts_mentor_assignments_create": _managers(201),
    "cohorts_mentor_assignments_destroy": _managers(204),
    "cohorts_extensions_list": _managers(200),
    "cohorts_extensions_create": _managers(201),
    "cohorts_extensions_destroy": _managers(204),
}


@pytest.fixture(scope="module")
def api_schema():
    return load_api_schema()


def _operations(api_schema):
    return {op.ok().definition.raw["operationId"]: op.ok() for op in api_schema.get_all_operations()}


def _request(operation_id: str, people, actor) -> dict:
    """Path parameters and a valid body for each operation, against `people`."""
    course = people.cohort.course
    cohort = people.cohort.slug
    if operation_id.startswith("courses_"):
        params = {"slug": course.slug, "course_slug": course.slug, "number": 3}
        return {"path_parameters": {k: v for k, v in params.items() if k in ("slug", "course_slug", "number")}}
    if operation_id == "me_partial_update":
        return {"body": {"time_zone": "Europe/Lisbon"}}
    if operation_id == "tokens_create":
        return {"body": {"name": "CI script", "scope": "read", "expires_in_days": 30}}
    if operation_id == "tokens_destroy":
        owner = actor or people.stranger
        return {"path_parameters": {"id": PersonalAccessTokenFactory(user=owner).pk}}
    if operation_id in ("cohorts_retrieve", "cohorts_schedule_list"):
        return {"path_parameters": {"slug": cohort}}
    if operation_id == "cohorts_memberships_create":
        newcomer = UserFactory(email="newcomer@example.com")
        return {"path_parameters": {"cohort_slug": cohort}, "body": {"email": newcomer.email, "role": "student"}}
    if operation_id == "cohorts_memberships_destroy":
        membership = Membership.objects.get(cohort=people.cohort, user=people.other_student)
        return {"path_parameters": {"cohort_slug": cohort, "id": membership.pk}}
    if operation_id == "cohorts_mentor_assignments_create":
        body = {"mentor": people.unassigned_mentor.pk, "student": people.student.pk}
        return {"path_parameters": {"cohort_slug": cohort}, "body": body}
    if operation_id == "cohorts_mentor_assignments_destroy":
        assignment = MentorAssignment.objects.get(cohort=people.cohort, student=people.other_student)
        return {"path_parameters": {"cohort_slug": cohort, "id": assignment.pk}}
    if operation_id == "cohorts_extensions_create":
        body = {"student": people.student.pk, "week": 2, "due_at": "2026-10-01T12:00:00+02:00", "reason": "Illness"}
        return {"path_parameters": {"cohort_slug": cohort}, "body": body}
    if operation_id == "cohorts_extensions_destroy":
        extension = ExtensionFactory(
            cohort=people.cohort, student=people.student, due_at=datetime.datetime(2026, 9, 20, tzinfo=datetime.UTC)
        )
        return {"path_parameters": {"cohort_slug": cohort, "id": extension.pk}}
    if operation_id.startswith("cohorts_") and operation_id != "cohorts_list":
        return {"path_parameters": {"cohort_slug": cohort}}
    return {}


def _session(user) -> dict[str, dict[str, str]]:
    """Session and CSRF cookies plus the CSRF header, as a signed-in browser sends them."""
    if user is None:
        return {}
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    return {
        "cookies": {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf},
        "headers": {"X-CSRFToken": csrf},
    }


def test_every_documented_operation_has_expectations(api_schema):
    assert set(_operations(api_schema)) == set(EXPECTED)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation_id", sorted(EXPECTED))
def test_operation_as_role(api_schema, people, operation_id, role):
    operation = _operations(api_schema)[operation_id]
    actor = person(people, role)
    request = _request(operation_id, people, actor)
    extra = {"body": request["body"], "media_type": "application/json"} if "body" in request else {}
    case = operation.Case(path_parameters=request.get("path_parameters"), **_session(actor), **extra)
    response = case.call()
    assert response.status_code == EXPECTED[operation_id][role], response.text
    case.validate_response(response, checks=CHECKS)
