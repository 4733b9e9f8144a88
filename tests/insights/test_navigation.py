"""Where people find the insights: the main navigation and the cohort page."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NAV_LINK = '<li><a href="/insights/"'


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("stranger", False),
        ("student", False),
        ("other_student", False),
        ("mentor", True),
        ("foreign_mentor", True),
        ("instructor", True),
        ("admin", True),
    ],
)
def test_the_main_navigation_links_insights_for_those_who_may_open_them(people, client_for, role, shown):
    html = client_for(getattr(people, role)).get(reverse("cohorts:list")).content.decode()
    assert (NAV_LINK in html) is shown


def test_staff_without_a_cohort_find_the_coverage_from_the_navigation(course, client_for):
    client = client_for(UserFactory(is_staff=True))
    html = client.get(reverse("cohorts:list")).content.decode()
    assert NAV_LINK in html
    start = client.get(reverse("insights:index")).content.decode()
    assert reverse("insights:coverage") in start and "You do not mentor or instruct a cohort." in start


@pytest.mark.parametrize(
    ("role", "links"),
    [
        ("student", []),
        ("other_student", []),
        ("mentor", ["gradebook/", "heatmap/", "at-risk/", "turnaround/"]),
        ("unassigned_mentor", ["gradebook/", "heatmap/", "at-risk/", "turnaround/"]),
        ("instructor", ["gradebook/", "heatmap/", "at-risk/", "turnaround/", "at-risk/rules/"]),
        ("admin", ["gradebook/", "heatmap/", "at-risk/", "turnaround/", "at-risk/rules/"]),
    ],
)
def test_the_cohort_page_links_its_insights_for_its_staff(people, client_for, role, links):
    html = client_for(getattr(people, role)).get(reverse("cohorts:detail", args=[people.cohort.slug])).content.decode()
    prefix = f'href="/insights/{people.cohort.slug}/'
    assert sorted(part.split('"')[0] for part in html.split(prefix)[1:]) == sorted(links)
