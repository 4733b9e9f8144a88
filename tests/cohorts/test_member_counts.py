"""The member counts of a cohort are the same for every viewer, on /cohorts/ and in the API
(they once counted only the viewer's own membership: an instructor saw 0 students, 0 mentors)."""

import re

import pytest
from django.urls import reverse

from tests.factories import PersonalAccessTokenFactory

pytestmark = pytest.mark.django_db

# people.cohort: student, other_student (2 students); mentor, unassigned_mentor (2 mentors).
VIEWERS = ["student", "other_student", "mentor", "unassigned_mentor", "instructor", "admin"]


def _row_counts(html: str, cohort_name: str) -> tuple[int, int]:
    row = re.search(r"<tr>(?:(?!</tr>).)*?" + re.escape(cohort_name) + r".*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td>\s*(\d+)\s*</td>", row)
    return int(cells[0]), int(cells[1])


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_cohorts_page_counts_every_student_and_mentor(viewer, people, client_for):
    html = client_for(getattr(people, viewer)).get(reverse("cohorts:list")).content.decode()
    assert _row_counts(html, people.cohort.name) == (2, 2)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_the_api_counts_every_student_and_mentor(viewer, people, client):
    token = PersonalAccessTokenFactory(user=getattr(people, viewer))
    body = client.get("/api/v1/cohorts/", headers={"Authorization": f"Bearer {token.plaintext}"}).json()
    row = next(r for r in body["results"] if r["slug"] == people.cohort.slug)
    assert (row["student_count"], row["mentor_count"]) == (2, 2)


def test_a_cohort_with_no_mentors_counts_zero(people, client_for):
    html = client_for(people.foreign_instructor).get(reverse("cohorts:list")).content.decode()
    assert _row_counts(html, people.other_cohort.name) == (1, 1)
