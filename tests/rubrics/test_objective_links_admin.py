"""The criterion ↔ objective links in the admin: edited on a criterion's page while its
rubric version is editable, read-only once it froze."""

import pytest
from django.urls import reverse

from curriculum.models import Objective
from rubrics.models import CriterionObjective
from tests.factories import AssessmentFactory

from .conftest import submit

pytestmark = pytest.mark.django_db


def test_an_editable_criterion_shows_its_objective_links_for_editing(people, rubric, client_for):
    criterion = rubric.criteria.get(order=1)
    body = client_for(people.admin).get(reverse("admin:rubrics_criterion_change", args=[criterion.pk])).content
    assert b"outcome objectives it gives evidence for" in body.lower()
    assert b'name="objective_links-TOTAL_FORMS" value="24"' in body  # one outcome a week
    assert b'name="objective_links-0-objective"' in body  # editable
    assert b'name="objective_links-0-objective"' in body


def test_a_frozen_criterions_links_are_read_only_and_a_post_changes_nothing(people, rubric, client_for):
    AssessmentFactory(revision=submit(people.student, people.cohort))
    rubric.refresh_from_db()
    assert rubric.is_frozen
    criterion = rubric.criteria.get(order=1)
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    client = client_for(people.admin)
    body = client.get(url).content
    assert b'name="objective_links-0-objective"' not in body  # shown, not editable
    other = Objective.objects.filter(kind=Objective.Kind.OUTCOME).exclude(criterion_links__criterion=criterion).first()
    before = CriterionObjective.objects.count()
    client.post(url, {"objective_links-TOTAL_FORMS": "1", "objective_links-0-objective": other.pk})
    assert CriterionObjective.objects.count() == before
