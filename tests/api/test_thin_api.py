"""The API is a thin shell over the pages' selectors, policies and services (docs/api.md,
"Adding your app's endpoints"): read from the source of every app's api.py, so a new
endpoint that queries the ORM itself, calls a page view or declares its serializers inline
fails here with the place to fix."""

import ast
from pathlib import Path

import pytest
from rest_framework import serializers

ROOT = Path(__file__).resolve().parents[2]
# Every app that serves endpoints (the `api` package itself is the machinery they share).
APPS = sorted(path.parent.name for path in ROOT.glob("*/api.py") if path.parent.name != "api")


def _tree(app: str, module: str) -> ast.Module:
    return ast.parse((ROOT / app / f"{module}.py").read_text(), filename=f"{app}/{module}.py")


def test_every_app_with_endpoints_is_checked():
    assert {"accounts", "curriculum", "cohorts", "submissions", "rubrics", "portfolios", "reports"} <= set(APPS)
    assert "notifications" in APPS


@pytest.mark.parametrize("app", APPS)
def test_serializers_live_in_their_own_module(app):
    import importlib

    api = importlib.import_module(f"{app}.api")
    declared_in_api = [
        name
        for name, value in vars(api).items()
        if isinstance(value, type)
        and issubclass(value, serializers.BaseSerializer)
        and value.__module__ == api.__name__
    ]
    assert declared_in_api == [], f"move to {app}/serializers.py: {declared_in_api}"
    assert (ROOT / app / "serializers.py").exists()


@pytest.mark.parametrize("app", APPS)
def test_endpoints_run_no_orm_query_of_their_own(app):
    """`Model.objects.none()` (the viewset's declared queryset) is the only manager call:
    reads come from selectors and access functions, writes from services."""
    found = []
    for node in ast.walk(_tree(app, "api")):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) and node.value.attr == "objects":
            if node.attr != "none":
                found.append(f"{app}/api.py:{node.lineno} .objects.{node.attr}")
        if isinstance(node, ast.Name) and node.id in ("get_object_or_404", "get_list_or_404"):
            found.append(f"{app}/api.py:{node.lineno} {node.id}")
        if isinstance(node, ast.Attribute) and node.attr in ("save", "delete"):
            found.append(f"{app}/api.py:{node.lineno} .{node.attr}()")
    assert found == []


@pytest.mark.parametrize("app", APPS)
def test_endpoints_call_no_page_view(app):
    found = []
    for node in ast.walk(_tree(app, "api")):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            ours = node.level > 0 or module.split(".")[0] in APPS
            names = {alias.name for alias in node.names}
            if ours and (module.endswith("views") or "views" in names):
                found.append(f"{app}/api.py:{node.lineno} imports page views")
            if ours and (module.endswith(".api") or "api" in names):
                found.append(f"{app}/api.py:{node.lineno} imports another app's API module")
        if isinstance(node, ast.Attribute) and node.attr == "_request":
            found.append(f"{app}/api.py:{node.lineno} hands the request to a page view")
    assert found == []


def test_opening_a_work_checks_membership_once_and_needs_no_query_for_its_status(
    people, bearer_client, django_assert_num_queries
):
    """POST /works/ used to ask "is a student" twice and "does it exist" once more to choose
    201 or 200; services.work_open answers both (14 → 12 queries new, 11 → 9 existing; 13 new
    since starting a work raises the cohort's grades version)."""
    client = bearer_client(people.student)
    assert client.get("/api/v1/me/").status_code == 200  # records the token's use now
    body = {"cohort": people.cohort.slug, "week": 20}
    # token, cohort with course, the viewer's role in it (can_view_cohort), the week,
    # savepoint, student membership (work_open: the only membership check), no work yet,
    # savepoint, insert, the cohort's grades version raised (a new cell for the gradebook's
    # cache, cohorts.services.cohort_grades_changed), release, release, the work with what
    # the response shows
    with django_assert_num_queries(13):
        created = client.post("/api/v1/works/", body, content_type="application/json")
    assert created.status_code == 201
    # token, cohort with course, role, the week, savepoint, student membership, the work
    # (found), release, the work with what the response shows
    with django_assert_num_queries(9):
        again = client.post("/api/v1/works/", body, content_type="application/json")
    assert again.status_code == 200
    assert again.json()["id"] == created.json()["id"]
