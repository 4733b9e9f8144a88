"""The OpenAPI document is valid, served, and browsable offline under the site's CSP."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_as_openapi_3_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3.")


def test_schema_is_served_as_json(client_for):
    response = client_for(None).get("/api/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cohorts/" in document["paths"]
    assert set(document["components"]["securitySchemes"]) == {"personalAccessToken", "cookieAuth"}


def test_every_operation_documents_problem_responses(client_for):
    document = client_for(None).get("/api/schema/?format=json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for code in ("401", "403", "429"):
                content = operation["responses"][code]["content"]
                assert content["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}, (
                    method,
                    path,
                    code,
                )


def test_idempotent_operations_document_the_header(client_for):
    document = client_for(None).get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/v1/cohorts/{cohort_slug}/memberships/"]["post"]
    assert "Idempotency-Key" in {parameter["name"] for parameter in operation["parameters"]}
    assert {"409", "422"} <= set(operation["responses"])


def test_docs_page_loads_only_same_origin_scripts(client_for):
    response = client_for(None).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    assert scripts, "the page loads Swagger UI"
    assert all('src="/' in attributes and body.strip() == "" for attributes, body in scripts)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


def test_docs_init_script_is_served_as_javascript(client_for):
    html = client_for(None).get("/api/docs/").content.decode()
    init_src = re.findall(r'<script src="([^"]*script=[^"]*)"', html)[0].replace("&amp;", "&")
    response = client_for(None).get(init_src)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in response.content.decode()


def test_the_served_schema_is_the_one_the_code_generates(client_for):
    """The document is generated once per process and kept; it must still be exactly what
    the code describes (the generator run afresh here)."""
    import json

    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    served = client_for(None).get("/api/schema/?format=json").json()
    fresh = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    assert served == fresh
