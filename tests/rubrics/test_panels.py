"""The slots of the scoring and peer review pages (rubrics/panels.py): with no provider the
pages are as before; a registered provider's panels appear where they are placed, inside the
section of the rendered revision marked with data-section, beside the rubric, or on top."""

import copy
import re

import pytest
from django.urls import reverse

from core.panels import Panel
from rubrics.models import PeerAssignment
from rubrics.panels import PEER_REVIEW, SCORING
from rubrics.tasks import assign_missing_peer_reviewers

from .conftest import submit

pytestmark = pytest.mark.django_db

SECTIONS = ["concept", "lab", "decision", "dossier", "evidence", "risks", "retrospective", "note"]


@pytest.fixture
def panel_template(settings, tmp_path):
    """A panel template that prints where it was placed and whom it was asked for."""
    (tmp_path / "panel_probe.html").write_text('<p class="probe">probe:{{ panel.where }}:{{ panel.user }}</p>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    return "panel_probe.html"


@pytest.fixture
def registered(panel_template):
    """Registers a probe provider on both slots for one test, recording each call."""
    calls = []

    def provider(*, revision, user):
        calls.append((revision.pk, user.pk))
        return [
            Panel(panel_template, {"where": where, "user": user.pk}, placement=where)
            for where in ["top", "rubric", *SECTIONS]
        ]

    for slot in (SCORING, PEER_REVIEW):
        slot.register(provider)
    yield calls
    for slot in (SCORING, PEER_REVIEW):
        slot.unregister(provider)


def section_html(body: str, key: str) -> str:
    match = re.search(rf'<section [^>]*data-section="{key}"[^>]*>(.*?)</section>', body, re.S)
    assert match, f"no section {key}"
    return match.group(1)


def test_an_empty_slot_changes_nothing_on_the_scoring_page(people, rubric, client_for):
    revision = submit(people.student, people.cohort, evidence="latency.txt")
    body = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()
    assert "probe:" not in body
    for key in ["concept", "lab", "decision", "dossier", "evidence", "note"]:
        assert f'data-section="{key}"' in body
    artifact = revision.artifacts.get()
    assert f'data-artifact="{artifact.pk}"' in section_html(body, "evidence")


def test_a_provider_places_panels_in_each_section_beside_the_rubric_and_on_top(people, rubric, client_for, registered):
    revision = submit(people.student, people.cohort, evidence="latency.txt")
    body = client_for(people.mentor).get(reverse("rubrics:score", args=[revision.pk])).content.decode()

    assert registered == [(revision.pk, people.mentor.pk)]  # called once per page
    for key in ["concept", "lab", "decision", "dossier", "evidence", "note"]:
        assert f"probe:{key}:{people.mentor.pk}" in section_html(body, key)
    # "risks" and "retrospective" are rendered only when the revision has them.
    assert body.index("probe:top:") < body.index('class="review-layout"')
    aside = body[body.index('<aside class="review-side"') :]
    assert aside.index("probe:rubric:") < aside.index('id="rubric"')


def test_the_peer_review_page_has_the_same_slot_without_naming_the_author(people, rubric, client_for, registered):
    revision = submit(people.student, people.cohort, evidence="latency.txt")
    assign_missing_peer_reviewers()
    assignment = PeerAssignment.objects.filter(revision=revision).first()
    body = client_for(assignment.reviewer).get(reverse("rubrics:peer_review", args=[assignment.pk])).content.decode()

    assert registered == [(revision.pk, assignment.reviewer_id)]
    for key in ["concept", "lab", "decision", "dossier", "evidence"]:
        assert f"probe:{key}:{assignment.reviewer_id}" in section_html(body, key)
    assert f'data-artifact="{revision.artifacts.get().pk}"' in section_html(body, "evidence")
    assert "latency.txt" not in body
    assert body.index("probe:top:") < body.index('class="review-layout"')
    assert "probe:rubric:" in body[body.index('<aside class="review-side"') :]


def test_the_slot_is_not_asked_for_people_who_may_not_see_the_page(people, rubric, client_for, registered):
    revision = submit(people.student, people.cohort)
    for role in ["other_student", "foreign_mentor", "unassigned_mentor"]:
        assert client_for(getattr(people, role)).get(reverse("rubrics:score", args=[revision.pk])).status_code == 404
    assert registered == []
