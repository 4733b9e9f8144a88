"""The insights pages for every role, with pinned query counts that do not grow with the
cohort. The cohort here runs relative to today (week 6 open, weeks 1 to 5 due), so what the
pages say does not depend on the date the tests run."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cohorts.models import Membership, MentorAssignment
from insights.models import AtRiskRules
from rubrics.models import Assessment
from submissions.models import Revision, WeeklyWork
from tests.factories import AtRiskRulesFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- The at-risk list ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "listed"),
    [
        ("stranger", 404, None),
        ("student", 404, None),
        ("other_student", 404, None),
        ("foreign_mentor", 404, None),
        ("foreign_instructor", 404, None),
        ("mentor", 200, "1 of 2 students you mentor"),
        ("unassigned_mentor", 200, "0 of 0 students you mentor"),
        ("instructor", 200, "1 of 2 students of the cohort"),
        ("admin", 200, "1 of 2 students of the cohort"),
    ],
)
def test_the_at_risk_list_for_each_role(running, client_for, role, status, listed):
    response = client_for(getattr(running, role)).get(reverse("insights:at_risk", args=[running.cohort.slug]))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert listed in html
        if listed.startswith("1 of"):
            assert running.student.display_name in html and running.other_student.display_name not in html
            assert "Weeks behind" in html and "5 missing: weeks 1, 2, 3, 4, 5" in html
            assert reverse("rubrics:progress", args=[running.cohort.slug, running.student.pk]) in html


def test_the_at_risk_list_asks_an_anonymous_visitor_to_sign_in(running, client):
    response = client.get(reverse("insights:at_risk", args=[running.cohort.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_instructors_see_the_link_to_tune_the_rules(running, client_for):
    url = reverse("insights:at_risk", args=[running.cohort.slug])
    rules_url = reverse("insights:at_risk_rules", args=[running.cohort.slug])
    assert rules_url in client_for(running.instructor).get(url).content.decode()
    assert rules_url not in client_for(running.mentor).get(url).content.decode()


def _add_students(cohort, mentor, count: int) -> None:
    users = User.objects.bulk_create(
        [User(email=f"page{i}@example.com", name=f"Page Student {i:03d}", password="!") for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users])
    MentorAssignment.objects.bulk_create([MentorAssignment(cohort=cohort, mentor=mentor, student=u) for u in users])


@pytest.mark.parametrize("size", [5, 200])
def test_the_at_risk_list_runs_a_fixed_number_of_queries(running, client_for, django_assert_num_queries, size):
    _add_students(running.cohort, running.mentor, size - 2)
    AtRiskRulesFactory(cohort=running.cohort)
    client = client_for(running.instructor)
    # 16: session, user, the viewer's membership stamps (the page's key, core.pagecache: read
    # first), cohort, role (may view the cohort), a teacher of it, rules, role (may tune the
    # rules and sees the whole cohort: passed to the map, which no longer asks), the next due
    # date (the cached map's key), then the map made from the stored inputs: weeks,
    # extensions, the students followed with their inputs; the page's count and its 50
    # students, the next due date again (when the kept page ends), navigation roles. Before
    # the page was kept whole: 15 (no stamps, no second due date, the role asked by the map).
    with django_assert_num_queries(16):
        response = client.get(reverse("insights:at_risk", args=[running.cohort.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{size - 1} of {size} students of the cohort" in html
    assert html.count("Weeks behind</span>") == min(size - 1, 50)  # the first page of 50


def test_the_at_risk_list_paginates(running, client_for):
    _add_students(running.cohort, running.mentor, 60)
    client = client_for(running.instructor)
    second = client.get(reverse("insights:at_risk", args=[running.cohort.slug]), {"page": 2}).content.decode()
    assert "Page 2 of 2" in second
    assert second.count("Weeks behind</span>") == 61 - 50


# --- Tuning the rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("stranger", 404),
        ("student", 404),
        ("other_student", 404),
        ("foreign_mentor", 404),
        ("foreign_instructor", 404),
        ("mentor", 403),
        ("unassigned_mentor", 403),
        ("instructor", 200),
        ("admin", 200),
    ],
)
def test_the_rules_page_for_each_role(running, client_for, role, status):
    client = client_for(getattr(running, role))
    url = reverse("insights:at_risk_rules", args=[running.cohort.slug])
    assert client.get(url).status_code == status
    response = client.post(
        url,
        {
            "weeks_behind": 6,
            "falling_score_weeks": 3,
            "max_revisions": 3,
            "missing_retrospectives": 0,
            "overdue_high_risks": 1,
        },
    )
    assert response.status_code == (302 if status == 200 else status)
    saved = AtRiskRules.objects.filter(cohort=running.cohort).first()
    assert (saved is not None and saved.weeks_behind == 6) == (status == 200)


def test_tuning_a_rule_changes_the_list(running, client_for):
    client = client_for(running.instructor)
    url = reverse("insights:at_risk_rules", args=[running.cohort.slug])
    form = client.get(url).content.decode()
    assert 'name="weeks_behind"' in form and 'value="2"' in form  # the defaults, not saved yet
    assert not AtRiskRules.objects.exists()
    response = client.post(
        url,
        {
            "weeks_behind": 6,
            "falling_score_weeks": 3,
            "max_revisions": 3,
            "missing_retrospectives": 0,
            "overdue_high_risks": 1,
        },
        follow=True,
    )
    html = response.content.decode()
    assert "At-risk rules saved" in html
    assert "0 of 2 students of the cohort" in html and "Nobody is at risk under the current rules." in html


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("falling_score_weeks", "1", "A fall needs at least two scored weeks"),
        ("weeks_behind", "-1", "greater than or equal to 0"),
        ("weeks_behind", "25", "less than or equal to 24"),
        ("max_revisions", "many", "Enter a whole number."),
    ],
)
def test_bad_thresholds_are_refused_next_to_their_field(running, client_for, field, value, error):
    data = {
        "weeks_behind": 2,
        "falling_score_weeks": 3,
        "max_revisions": 3,
        "missing_retrospectives": 2,
        "overdue_high_risks": 1,
        field: value,
    }
    response = client_for(running.instructor).post(reverse("insights:at_risk_rules", args=[running.cohort.slug]), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not AtRiskRules.objects.exists()


# --- Review turnaround ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "rows"),
    [
        ("stranger", 404, 0),
        ("student", 404, 0),
        ("other_student", 404, 0),
        ("foreign_mentor", 404, 0),
        ("foreign_instructor", 404, 0),
        ("mentor", 200, 1),
        ("unassigned_mentor", 200, 0),
        ("instructor", 200, 2),
        ("admin", 200, 2),
    ],
)
def test_the_turnaround_page_for_each_role(reviewed, client_for, role, status, rows):
    response = client_for(getattr(reviewed, role)).get(reverse("insights:turnaround", args=[reviewed.cohort.slug]))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        # The cohort's figures for everyone who may see the page: 5 and 100 hours.
        assert "2 d 4 h" in html  # the median, 52.5 hours
        assert "1 of 2 decisions" in html
        assert html.count('<th scope="row">') == rows


def test_the_turnaround_period_is_chosen_with_dates_and_checked(reviewed, client_for):
    client = client_for(reviewed.instructor)
    url = reverse("insights:turnaround", args=[reviewed.cohort.slug])
    long_ago = client.get(url, {"start": "2020-01-01", "end": "2020-01-31"}).content.decode()
    assert "No decisions in this period." in long_ago and "0 of 0 decisions" in long_ago
    backwards = client.get(url, {"start": "2026-10-10", "end": "2026-10-01"})
    assert backwards.status_code == 400
    assert "The end of the period comes before its start." in backwards.content.decode()
    garbage = client.get(url, {"start": "yesterday", "end": "2026-10-01"})
    assert garbage.status_code == 400 and "Enter a valid date." in garbage.content.decode()


def _bulk_decisions(cohort, mentor, rubric, count: int) -> None:
    """`count` more students, each with week 1 submitted two days ago and decided by `mentor`
    a day later (bulk rows: the figures are not the subject here, the query count is)."""
    decided = timezone.now() - datetime.timedelta(days=1)
    users = User.objects.bulk_create(
        [User(email=f"turn{i}@example.com", name=f"Turn {i:03d}", password="!") for i in range(count)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u, role=Membership.Role.STUDENT) for u in users])
    MentorAssignment.objects.bulk_create([MentorAssignment(cohort=cohort, mentor=mentor, student=u) for u in users])
    week = cohort.course.weeks.get(number=1)
    works = WeeklyWork.objects.bulk_create(
        [WeeklyWork(student=u, cohort=cohort, week=week, state=WeeklyWork.State.ACCEPTED) for u in users]
    )
    revisions = Revision.objects.bulk_create(
        [
            Revision(
                work=work,
                number=1,
                content={},
                submitted_at=decided - datetime.timedelta(days=1),
                due_at=decided,
                submitted_by_id=work.student_id,
            )
            for work in works
        ]
    )
    Assessment.objects.bulk_create(
        [
            Assessment(
                revision=revision,
                rubric=rubric,
                scorer=mentor,
                kind=Assessment.Kind.MENTOR,
                decision=Assessment.Decision.ACCEPT,
                score=Decimal("75.00"),
                submitted_at=decided,
            )
            for revision in revisions
        ]
    )


@pytest.mark.parametrize("extra", [0, 60])
def test_the_turnaround_page_runs_a_fixed_number_of_queries(
    reviewed, rubric, client_for, django_assert_num_queries, extra
):
    _bulk_decisions(reviewed.cohort, reviewed.unassigned_mentor, rubric, extra)
    client = client_for(reviewed.instructor)
    # 10: session, user, cohort, role (may view), role (a teacher), role (all reviewers), the
    # figures overall, per reviewer, the reviewers, navigation roles.
    with django_assert_num_queries(10):
        response = client.get(reverse("insights:turnaround", args=[reviewed.cohort.slug]))
    assert response.status_code == 200
    assert f"of {2 + extra} decisions" in response.content.decode()


# --- Coverage and the start page ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("stranger", 403),
        ("student", 403),
        ("mentor", 403),
        ("foreign_mentor", 403),
        ("instructor", 200),
        ("foreign_instructor", 200),
        ("admin", 200),
    ],
)
def test_the_coverage_page_for_each_role(people, client_for, role, status):
    response = client_for(getattr(people, role)).get(reverse("insights:coverage"))
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert '<svg viewBox="0 0 760 280" role="img"' in html
        assert "<title>Week 1: " in html and "<title>Week 24: " in html  # a bar for every week
        assert "<td>96</td>" in html  # 24 weeks × 4 outcome objectives


def test_staff_without_a_cohort_see_coverage(course, client_for, django_assert_num_queries):
    staff = UserFactory(is_staff=True)
    client = client_for(staff)
    # 7: session, user, the default course, Bloom levels, weeks, their objectives, navigation roles.
    with django_assert_num_queries(7):
        response = client.get(reverse("insights:coverage"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "status", "cohorts"),
    [
        ("stranger", 403, 0),
        ("student", 403, 0),
        ("mentor", 200, 1),
        ("foreign_mentor", 200, 1),
        ("instructor", 200, 1),
        ("admin", 200, 2),
    ],
)
def test_the_start_page_lists_the_cohorts_the_person_teaches(people, client_for, role, status, cohorts):
    response = client_for(getattr(people, role)).get(reverse("insights:index"))
    assert response.status_code == status
    if status == 200:
        assert response.content.decode().count('/at-risk/">At risk') == cohorts
