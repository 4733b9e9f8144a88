"""cohorts.services.membership_ensure says whether it added the person, so the API answers
201 or 200 without asking the database again; membership_add is the same action for callers
that do not care."""

import pytest
from django.core.exceptions import ValidationError

from cohorts.models import Membership
from cohorts.services import membership_add, membership_ensure
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_membership_ensure_adds_once_and_says_so(people):
    newcomer = UserFactory()
    first, created = membership_ensure(cohort=people.cohort, user=newcomer, role=Membership.Role.STUDENT)
    again, created_again = membership_ensure(cohort=people.cohort, user=newcomer, role=Membership.Role.STUDENT)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Membership.objects.filter(cohort=people.cohort, user=newcomer).count() == 1
    assert membership_add(cohort=people.cohort, user=newcomer, role=Membership.Role.STUDENT).pk == first.pk


def test_membership_ensure_refuses_a_second_role(people):
    with pytest.raises(ValidationError) as refused:
        membership_ensure(cohort=people.cohort, user=people.student, role=Membership.Role.MENTOR)
    assert "already a student" in refused.value.message_dict["user"][0]


def test_the_api_answers_201_then_200(people, client_for):
    newcomer = UserFactory()
    client = client_for(people.instructor)
    url = f"/api/v1/cohorts/{people.cohort.slug}/memberships/"
    body = {"email": newcomer.email.upper(), "role": "mentor"}
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
