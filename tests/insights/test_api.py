"""The at-risk list and review turnaround in the API: the pages' access rules (404 for anyone
who is not the cohort's mentor or instructor, or an admin; a mentor sees their own students
and their own turnaround row), the same figures as the pages, problem+json for bad input, and
query counts that do not grow with the cohort."""

import pytest

from tests.factories import AtRiskRulesFactory

from .test_pages import _add_students, _bulk_decisions

pytestmark = pytest.mark.django_db


def at_risk_url(cohort) -> str:
    return f"/api/v1/cohorts/{cohort.slug}/at-risk/"


def turnaround_url(cohort) -> str:
    return f"/api/v1/cohorts/{cohort.slug}/turnaround/"


@pytest.mark.parametrize(
    ("role", "status", "count", "followed"),
    [
        ("stranger", 404, None, None),
        ("student", 404, None, None),
        ("other_student", 404, None, None),
        ("foreign_mentor", 404, None, None),
        ("foreign_instructor", 404, None, None),
        ("mentor", 200, 1, 2),
        ("unassigned_mentor", 200, 0, 0),
        ("instructor", 200, 1, 2),
        ("admin", 200, 1, 2),
    ],
)
def test_the_at_risk_list_for_each_role(running, client_for, role, status, count, followed):
    response = client_for(getattr(running, role)).get(at_risk_url(running.cohort))
    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == 404
        return
    body = response.json()
    assert (body["count"], body["students_followed"]) == (count, followed)
    if count:
        (row,) = body["results"]
        assert (row["student"], row["name"]) == (running.student.pk, running.student.display_name)
        # The student did nothing in weeks 1-5: missing weeks and retrospectives (the defaults: 2 and 2).
        assert {"rule": "weeks_behind", "label": "Weeks behind", "detail": "5 missing: weeks 1, 2, 3, 4, 5"} in row[
            "reasons"
        ]
        assert any(r["rule"] == "missing_retrospectives" for r in row["reasons"])


def test_the_at_risk_list_says_the_rules_in_force(running, client_for):
    AtRiskRulesFactory(cohort=running.cohort, weeks_behind=6, missing_retrospectives=0)
    body = client_for(running.instructor).get(at_risk_url(running.cohort)).json()
    rules = body["rules"]
    assert (rules["weeks_behind"], rules["missing_retrospectives"]) == (6, 0)
    assert rules["description"].startswith("At risk (the cohort's rules) when any holds: at least 6 missing weeks")
    assert body["count"] == 0 and body["results"] == []  # five missing weeks no longer reach six


def test_the_at_risk_list_asks_an_anonymous_caller_to_sign_in(running, client):
    response = client.get(at_risk_url(running.cohort))
    assert response.status_code == 401 and response["Content-Type"].startswith("application/problem+json")


def test_the_at_risk_list_paginates(running, client_for):
    _add_students(running.cohort, running.mentor, 60)
    client = client_for(running.instructor)
    first = client.get(at_risk_url(running.cohort)).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (61, 50, None)
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 11 and second["next"] is None
    names = [r["name"] for r in first["results"] + second["results"]]
    assert len(set(names)) == 61
    small = client.get(at_risk_url(running.cohort), {"page_size": 5, "page": 2}).json()
    assert [r["name"] for r in small["results"]] == names[5:10]
    beyond = client.get(at_risk_url(running.cohort), {"page": 9})
    assert beyond.status_code == 404 and beyond["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("size", [5, 200])
def test_the_at_risk_list_runs_a_fixed_number_of_queries(running, client_for, django_assert_num_queries, size):
    _add_students(running.cohort, running.mentor, size - 2)
    AtRiskRulesFactory(cohort=running.cohort)
    client = client_for(running.instructor)
    # 13: session, user, cohort, role (may view the cohort), a teacher of it, rules, role (all
    # students or the mentor's), the next due date (the cached map's key), then the map made
    # from the stored inputs: weeks, extensions, the students followed with their inputs; the
    # page's count and its students.
    with django_assert_num_queries(13):
        response = client.get(at_risk_url(running.cohort))
    assert response.status_code == 200
    assert response.json()["count"] == size - 1


@pytest.mark.parametrize(
    ("role", "status", "reviewers"),
    [
        ("stranger", 404, None),
        ("student", 404, None),
        ("other_student", 404, None),
        ("foreign_mentor", 404, None),
        ("foreign_instructor", 404, None),
        ("mentor", 200, ["mentor"]),
        ("unassigned_mentor", 200, []),
        ("instructor", 200, ["mentor", "instructor"]),
        ("admin", 200, ["mentor", "instructor"]),
    ],
)
def test_turnaround_for_each_role(reviewed, client_for, role, status, reviewers):
    response = client_for(getattr(reviewed, role)).get(turnaround_url(reviewed.cohort))
    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"].startswith("application/problem+json")
        return
    body = response.json()
    # Every viewer gets the cohort's figures: decisions after 5 and 100 hours, the median
    # 52.5 h, the 90th percentile 90.5 h (5 + 0.9 × 95); one within the 72-hour deadline.
    figures = body["cohort_figures"]
    assert (figures["decisions"], figures["median_seconds"], figures["median"]) == (2, 52.5 * 3600, "2 d 4 h")
    assert (figures["p90_seconds"], figures["within_deadline"], figures["within_percent"]) == (90.5 * 3600, 1, 50)
    assert figures["p90_over_deadline"] is True and body["deadline_hours"] == 72
    assert [r["reviewer"] for r in body["reviewers"]] == [getattr(reviewed, name).pk for name in reviewers]
    if reviewers:
        assert body["reviewers"][0]["median_seconds"] == 5 * 3600


def test_turnaround_over_a_chosen_period_and_bad_periods(reviewed, client_for):
    client = client_for(reviewed.instructor)
    url = turnaround_url(reviewed.cohort)
    long_ago = client.get(url, {"start": "2020-01-01", "end": "2020-01-31"}).json()
    assert (long_ago["start"], long_ago["end"]) == ("2020-01-01", "2020-01-31")
    assert long_ago["cohort_figures"]["decisions"] == 0 and long_ago["cohort_figures"]["median_seconds"] is None
    assert long_ago["reviewers"] == []
    for query, field, message in [
        ({"start": "2026-10-10", "end": "2026-10-01"}, "end", "The end of the period comes before its start."),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "end", "Choose a period of at most 400 days."),
        ({"start": "yesterday"}, "start", "Date has wrong format"),
    ]:
        response = client.get(url, query)
        assert response.status_code == 400, query
        assert response["Content-Type"].startswith("application/problem+json")
        (error,) = response.json()["errors"]
        assert error["field"] == field and error["message"].startswith(message)


@pytest.mark.parametrize("extra", [0, 60])
def test_turnaround_runs_a_fixed_number_of_queries(reviewed, rubric, client_for, django_assert_num_queries, extra):
    _bulk_decisions(reviewed.cohort, reviewed.unassigned_mentor, rubric, extra)
    client = client_for(reviewed.instructor)
    # 9: session, user, cohort, role (may view), role (a teacher), role (all reviewers), the
    # figures overall, per reviewer, the reviewers.
    with django_assert_num_queries(9):
        response = client.get(turnaround_url(reviewed.cohort))
    assert response.status_code == 200
    assert response.json()["cohort_figures"]["decisions"] == 2 + extra
