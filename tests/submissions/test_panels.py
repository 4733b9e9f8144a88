"""The workspace and revision pages ask their slots (submissions/panels.py) once and put each
registered panel in its place: "top" before the sections, a section key inside the section
marked with that data-section. With nothing registered the page is as before."""

import re

import pytest
from django.urls import reverse

from core.panels import Panel
from submissions import services
from submissions.panels import REVISION, SECTION_KEYS, WORKSPACE

pytestmark = pytest.mark.django_db

WEEK_SECTIONS = ("concept", "lab", "decision", "dossier", "evidence", "risks", "retrospective", "note")


@pytest.fixture
def panel_template(settings, tmp_path):
    """A panel template of the test's own, found through the template directories."""
    folder = tmp_path / "panel_templates"
    (folder / "test_panels").mkdir(parents=True)
    (folder / "test_panels" / "marker.html").write_text(
        '<p class="test-panel" data-in="{{ panel.place }}">{{ panel.text }} #{{ panel.work_id }}</p>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], folder]},
        *settings.TEMPLATES[1:],
    ]
    return "test_panels/marker.html"


@pytest.fixture
def registered(panel_template):
    """One provider per slot, putting a marker panel at the top and in every section; the
    calls it received are recorded, and it is unregistered after the test."""
    calls = []

    def workspace_provider(*, work, user, ws):
        calls.append(("workspace", work.pk, user.pk, ws.work.pk))
        return [
            Panel(panel_template, {"place": place, "text": "<b>hostile</b>", "work_id": work.pk}, placement=place)
            for place in ("top", *SECTION_KEYS)
        ]

    def revision_provider(*, revision, user):
        calls.append(("revision", revision.pk, user.pk))
        return [
            Panel(panel_template, {"place": place, "text": "r", "work_id": revision.work_id}, placement=place)
            for place in ("top", *SECTION_KEYS)
        ]

    WORKSPACE.register(workspace_provider)
    REVISION.register(revision_provider)
    yield calls
    WORKSPACE.unregister(workspace_provider)
    REVISION.unregister(revision_provider)


def _week_work(people):
    week = people.cohort.course.weeks.get(number=3)
    return services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)


def _sections(body: str) -> dict[str, str]:
    """Each data-section container's HTML up to the next section (enough to tell where a
    marker was placed)."""
    parts = re.split(r'(?=<section[^>]*data-section=")', body)
    found = {}
    for part in parts[1:]:
        key = re.match(r'<section[^>]*data-section="([a-z]+)"', part).group(1)
        found[key] = part.split("</section>")[0]
    return found


def test_with_no_provider_the_pages_have_no_panel_and_every_section_is_marked(people, client_for):
    work = _week_work(people)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert "test-panel" not in body
    assert set(_sections(body)) == set(WEEK_SECTIONS)

    revision = services.work_submit(work=work, by=people.student)
    for user in (people.student, people.mentor):
        page = client_for(user).get(reverse("submissions:revision", args=[work.pk, revision.number])).content.decode()
        assert "test-panel" not in page
        assert set(_sections(page)) == set(WEEK_SECTIONS)


def test_a_provider_panel_appears_in_its_section_of_the_editable_workspace(people, client_for, registered):
    work = _week_work(people)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()

    assert registered == [("workspace", work.pk, people.student.pk, work.pk)]  # asked once
    sections = _sections(body)
    for key in WEEK_SECTIONS:
        assert f'data-in="{key}"' in sections[key], key
        assert body.count(f'data-in="{key}"') == 1
    top = body.index('data-in="top"')
    assert top < body.index('data-section="concept"')
    assert "&lt;b&gt;hostile&lt;/b&gt;" in body and "<b>hostile</b>" not in body
    # a capstone section key the week does not have is simply not shown
    assert 'data-in="deliverable"' not in body


def test_a_provider_panel_appears_in_its_section_of_a_read_only_workspace(people, client_for, registered):
    work = _week_work(people)
    services.work_submit(work=work, by=people.student)
    body = client_for(people.mentor).get(reverse("submissions:work", args=[work.pk])).content.decode()
    sections = _sections(body)
    assert set(sections) == set(WEEK_SECTIONS)
    for key in WEEK_SECTIONS:
        assert body.count(f'data-in="{key}"') == 1 and f'data-in="{key}"' in sections[key], key
    assert registered == [("workspace", work.pk, people.mentor.pk, work.pk)]


def test_a_provider_panel_appears_in_its_section_of_a_revision(people, client_for, registered):
    work = _week_work(people)
    revision = services.work_submit(work=work, by=people.student)
    body = client_for(people.student).get(reverse("submissions:revision", args=[work.pk, revision.number]))
    body = body.content.decode()
    assert registered == [("revision", revision.pk, people.student.pk)]
    sections = _sections(body)
    for key in WEEK_SECTIONS:
        assert body.count(f'data-in="{key}"') == 1 and f'data-in="{key}"' in sections[key], key
    assert body.index('data-in="top"') < body.index('data-section="concept"')


def test_a_capstone_workspace_places_the_deliverable_panel(people, client_for, registered):
    deliverable = people.cohort.course.capstone_projects.first().deliverables.first()
    work = services.work_get_or_create(student=people.student, cohort=people.cohort, deliverable=deliverable)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    sections = _sections(body)
    assert 'data-in="deliverable"' in sections["deliverable"]
    assert "concept" not in sections


def test_evidence_items_carry_their_artifact_id(people, client_for):
    work = _week_work(people)
    link = services.artifact_add_link(work=work, url="https://example.com/x", proves="Proof", by=people.student)
    body = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert f'data-artifact="{link.pk}"' in _sections(body)["evidence"]
    revision = services.work_submit(work=work, by=people.student)
    page = client_for(people.mentor).get(reverse("submissions:revision", args=[work.pk, revision.number]))
    assert f'data-artifact="{link.pk}"' in _sections(page.content.decode())["evidence"]
