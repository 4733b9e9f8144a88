"""Frozen rubric versions: editing makes version n+1, old assessments keep theirs, and the
admin never mutates a frozen version."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rubrics.models import Assessment, Criterion, Rubric
from rubrics.selectors import rubric_for_work
from rubrics.services import assessment_record, rubric_new_version

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


def _score(revision, scorer, rubric, points=3, decision="request_changes"):
    return assessment_record(
        revision=revision,
        scorer=scorer,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, points),
        feedback="Needs a second option.",
        decision=decision,
    )


def test_new_version_copies_criteria_and_takes_over_the_attachment(people, rubric):
    old = _score(submit(people.student, people.cohort), people.mentor, rubric)
    rubric.refresh_from_db()
    copy = rubric_new_version(rubric=rubric)
    assert (copy.family, copy.version, copy.frozen_at) == (rubric.family, 2, None)
    assert list(copy.criteria.values_list("title", "weight")) == list(rubric.criteria.values_list("title", "weight"))
    assert copy.criteria.first().levels.count() == 4
    old.refresh_from_db()
    assert old.rubric_id == rubric.pk  # the old assessment keeps the version it used
    assert rubric_for_work(old.revision.work) == copy


def test_later_assessments_use_the_new_version(people, rubric):
    first = submit(people.student, people.cohort)
    _score(first, people.mentor, rubric)
    copy = rubric_new_version(rubric=rubric)
    Criterion.objects.filter(rubric=copy, order=1).update(weight=50)
    second = submit(people.student, people.cohort, note="Compared two options.")
    with pytest.raises(ValidationError):  # levels of the old version no longer apply
        _score(second, people.mentor, rubric, decision="accept")
    assessment = _score(second, people.mentor, copy, 4, decision="accept")
    assert assessment.rubric == copy
    assert {a.rubric.version for a in Assessment.objects.all()} == {1, 2}
    assert Rubric.objects.get(pk=rubric.pk).criteria.get(order=1).weight == 25


def test_only_the_latest_version_can_be_copied(people, rubric):
    rubric_new_version(rubric=rubric)
    with pytest.raises(ValidationError, match="Version 2"):
        rubric_new_version(rubric=rubric)


def test_admin_shows_a_frozen_rubric_read_only_and_does_not_change_it(people, rubric, client_for):
    _score(submit(people.student, people.cohort), people.mentor, rubric)
    client = client_for(people.admin)
    url = reverse("admin:rubrics_rubric_change", args=[rubric.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Frozen" in page.content.decode()
    assert b'name="title"' not in page.content  # no editable field
    response = client.post(url, {"family": rubric.family, "version": "1", "title": "Changed behind everyone's back"})
    assert response.status_code == 403
    rubric.refresh_from_db()
    assert rubric.title == "Weekly deliverable"
    criterion = rubric.criteria.first()
    response = client.post(reverse("admin:rubrics_criterion_change", args=[criterion.pk]), {"title": "Changed"})
    assert response.status_code == 403
    criterion.refresh_from_db()
    assert criterion.title == "Architecture-level decision quality"


def test_admin_action_creates_an_editable_new_version(people, rubric, client_for):
    _score(submit(people.student, people.cohort), people.mentor, rubric)
    client = client_for(people.admin)
    response = client.post(
        reverse("admin:rubrics_rubric_changelist"),
        {"action": "create_new_version", "_selected_action": [rubric.pk]},
        follow=True,
    )
    assert response.status_code == 200
    copy = Rubric.objects.get(family=rubric.family, version=2)
    assert "Created" in response.content.decode()
    page = client.get(reverse("admin:rubrics_rubric_change", args=[copy.pk]))
    assert b'name="title"' in page.content


def test_admin_edits_an_unused_rubric(people, rubric, client_for):
    client = client_for(people.admin)
    page = client.get(reverse("admin:rubrics_rubric_change", args=[rubric.pk]))
    assert b'name="title"' in page.content
