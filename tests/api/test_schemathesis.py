"""Property-based run of schemathesis over the published schema, in-process and bounded.

For every documented operation schemathesis generates requests from the schema (a fixed,
derandomised number of examples, so the run is repeatable and takes well under a minute)
and sends them as a cohort instructor authenticated with a read-write personal access
token; slugs in paths are pointed at the real course and cohort, so the generated
requests reach the code behind the 404s. No response may be a 5xx, and every response
must conform to the schema: documented status code, content type, headers and body.
"""

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import load_api_schema

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


schema = load_api_schema()


@pytest.fixture
def instructor_token(people, token_for):
    return token_for(people.instructor, scope="read_write").plaintext


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, people, instructor_token):
    for name in ("slug", "cohort_slug", "course_slug"):
        if name in (case.path_parameters or {}):
            is_course = case.path.startswith("/api/v1/courses/")
            case.path_parameters[name] = people.cohort.course.slug if is_course else people.cohort.slug
    case.call_and_validate(headers={"Authorization": f"Bearer {instructor_token}"}, checks=CHECKS)
