"""A frozen rubric version guards itself in the model layer, like a submitted revision: no
save, delete, queryset update or bulk operation changes its criteria, weights, levels or
points, so old scores keep their meaning. Unfrozen versions stay editable, a new version is
the way to change a frozen one, and the admin shows the refusal instead of failing."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from rubrics.admin import CriterionAdmin, LevelInline, RubricAdmin
from rubrics.models import Assessment, Criterion, CriterionScore, Level, Rubric
from rubrics.services import assessment_record, rubric_attach, rubric_new_version
from submissions.models import ImmutableError
from tests.factories import rubric_with_levels

from .conftest import scores_for, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(people, rubric) -> Assessment:
    """A mentor review with the course's weekly rubric (every criterion at 3 points), which
    freezes that version."""
    return assessment_record(
        revision=submit(people.student, people.cohort),
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 3),
        feedback="Needs a second option.",
        decision="request_changes",
    )


@pytest.fixture
def frozen(scored) -> Rubric:
    return Rubric.objects.get(pk=scored.rubric_id)


@pytest.fixture
def draft(db) -> Rubric:
    """A version no assessment has used: two criteria with levels worth 4 to 1."""
    return rubric_with_levels(criteria=2)


def meaning(rubric_pk: int):
    """Everything about a version that an old score depends on."""
    rubric = Rubric.objects.filter(pk=rubric_pk).first()
    if rubric is None:
        return None
    return (
        rubric.title,
        rubric.description,
        rubric.frozen_at,
        [
            (
                c.pk,
                c.order,
                c.title,
                c.description,
                c.weight,
                [(lv.pk, lv.label, lv.points, lv.descriptor) for lv in c.levels.all()],
            )
            for c in rubric.criteria.prefetch_related("levels").order_by("order")
        ],
    )


def _first_criterion(rubric: Rubric) -> Criterion:
    return rubric.criteria.order_by("order").first()


def _first_level(rubric: Rubric) -> Level:
    return _first_criterion(rubric).levels.order_by("order").first()


def save_rubric_title(rubric):
    rubric.title = "Changed"
    rubric.save()


def save_criterion_weight(rubric):
    criterion = _first_criterion(rubric)
    criterion.weight = 7
    criterion.save()


def save_criterion_title(rubric):
    criterion = _first_criterion(rubric)
    criterion.title = "Something else"
    criterion.save(update_fields=["title"])


def save_level_points(rubric):
    level = _first_level(rubric)
    level.points = 99
    level.save()


def save_level_descriptor(rubric):
    level = _first_level(rubric)
    level.descriptor = "Anything goes."
    level.save()


def add_criterion(rubric):
    Criterion.objects.create(rubric=rubric, order=99, title="New criterion", weight=5)


def add_criterion_through_the_rubric(rubric):
    rubric.criteria.create(order=99, title="New criterion", weight=5)


def add_level(rubric):
    Level.objects.create(criterion=_first_criterion(rubric), order=99, label="Heroic", points=77, descriptor="Wow.")


def delete_rubric(rubric):
    rubric.delete()


def delete_criterion(rubric):
    _first_criterion(rubric).delete()


def delete_level(rubric):
    _first_level(rubric).delete()


def update_rubrics(rubric):
    Rubric.objects.filter(pk=rubric.pk).update(description="Rewritten")


def update_criteria(rubric):
    Criterion.objects.filter(rubric=rubric).update(weight=9)


def update_levels(rubric):
    Level.objects.filter(criterion__rubric=rubric).update(descriptor="Rewritten")


def delete_rubrics(rubric):
    Rubric.objects.filter(pk=rubric.pk).delete()


def delete_criteria(rubric):
    Criterion.objects.filter(rubric=rubric).delete()


def delete_levels(rubric):
    Level.objects.filter(criterion__rubric=rubric).delete()


def bulk_create_criteria(rubric):
    Criterion.objects.bulk_create([Criterion(rubric=rubric, order=99, title="Bulk criterion", weight=1)])


def bulk_create_levels(rubric):
    criterion = _first_criterion(rubric)
    Level.objects.bulk_create([Level(criterion=criterion, order=99, label="Bulk", points=55, descriptor="Bulk.")])


def bulk_update_rubrics(rubric):
    rubric.title = "Bulk title"
    Rubric.objects.bulk_update([rubric], ["title"])


def bulk_update_criteria(rubric):
    criteria = list(rubric.criteria.all())
    for criterion in criteria:
        criterion.weight = 3
    Criterion.objects.bulk_update(criteria, ["weight"])


def bulk_update_levels(rubric):
    levels = list(Level.objects.filter(criterion__rubric=rubric))
    for level in levels:
        level.points += 10
    Level.objects.bulk_update(levels, ["points"])


EDITS = [
    save_rubric_title,
    save_criterion_weight,
    save_criterion_title,
    save_level_points,
    save_level_descriptor,
    add_criterion,
    add_criterion_through_the_rubric,
    add_level,
    delete_rubric,
    delete_criterion,
    delete_level,
    update_rubrics,
    update_criteria,
    update_levels,
    delete_rubrics,
    delete_criteria,
    delete_levels,
    bulk_create_criteria,
    bulk_create_levels,
    bulk_update_rubrics,
    bulk_update_criteria,
    bulk_update_levels,
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__)
def test_every_edit_of_a_frozen_version_is_refused(frozen, edit):
    before = meaning(frozen.pk)
    with pytest.raises(ImmutableError, match=r"Weekly deliverable \(v1\) is frozen"):
        edit(frozen)
    assert meaning(frozen.pk) == before


@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__)
def test_every_edit_of_an_unfrozen_version_is_allowed(draft, edit):
    before = meaning(draft.pk)
    edit(draft)
    assert meaning(draft.pk) != before


def test_a_rubric_loaded_before_it_froze_cannot_be_saved_after(people, rubric):
    stale_rubric, stale_level = Rubric.objects.get(pk=rubric.pk), _first_level(rubric)
    assessment_record(
        revision=submit(people.student, people.cohort),
        scorer=people.mentor,
        kind=Assessment.Kind.MENTOR,
        scores=scores_for(rubric, 3),
        feedback="Fine.",
        decision="accept",
    )
    assert stale_rubric.frozen_at is None  # the objects in memory have not seen the freeze
    stale_rubric.title = "Changed"
    with pytest.raises(ImmutableError):
        stale_rubric.save()
    stale_level.points = 99
    with pytest.raises(ImmutableError):
        stale_level.save()
    assert Level.objects.get(pk=stale_level.pk).points == 4


def test_unfreezing_a_version_is_refused(frozen):
    frozen.frozen_at = None
    with pytest.raises(ImmutableError):
        frozen.save(update_fields=["frozen_at"])
    with pytest.raises(ImmutableError):
        Rubric.objects.filter(pk=frozen.pk).update(frozen_at=None)
    assert Rubric.objects.get(pk=frozen.pk).is_frozen


def test_moving_a_level_into_a_frozen_version_is_refused(frozen, draft):
    level = _first_level(draft)
    level.criterion = _first_criterion(frozen)
    level.points = 50
    with pytest.raises(ImmutableError):
        level.save()
    with pytest.raises(ImmutableError):
        Level.objects.filter(pk=level.pk).update(criterion=_first_criterion(frozen), order=99, points=50)
    assert Level.objects.get(pk=level.pk).criterion.rubric == draft


def test_moving_a_criterion_into_or_out_of_a_frozen_version_is_refused(frozen, draft):
    incoming = _first_criterion(draft)
    with pytest.raises(ImmutableError):
        Criterion.objects.filter(pk=incoming.pk).update(rubric=frozen, order=99)
    incoming.rubric, incoming.order = frozen, 99
    with pytest.raises(ImmutableError):
        incoming.save()
    outgoing = _first_criterion(frozen)
    outgoing.rubric, outgoing.order = draft, 99
    with pytest.raises(ImmutableError):
        outgoing.save()
    assert Criterion.objects.get(pk=incoming.pk).rubric == draft
    assert Criterion.objects.get(pk=outgoing.pk).rubric == frozen


def test_attaching_a_frozen_version_still_works(frozen, course):
    week = course.weeks.get(number=3)
    attachment = rubric_attach(rubric=frozen, course=course, scope="week", week=week)
    assert attachment.rubric == frozen


def test_a_new_version_is_editable_while_old_assessments_keep_v1_and_their_points(people, frozen, scored):
    v1 = meaning(frozen.pk)
    copy = rubric_new_version(rubric=frozen)
    criterion = _first_criterion(copy)
    criterion.weight = 50
    criterion.save(update_fields=["weight"])
    Level.objects.filter(criterion=criterion, points=1).update(descriptor="Nothing measured.")
    Criterion.objects.create(rubric=copy, order=6, title="Operability", weight=10)

    assert meaning(frozen.pk) == v1
    scored.refresh_from_db()
    assert scored.rubric_id == frozen.pk
    assert scored.score == Decimal("75.00")
    rows = CriterionScore.objects.filter(assessment=scored).select_related("criterion", "level")
    assert {(row.criterion.rubric_id, row.level.points) for row in rows} == {(frozen.pk, 3)}
    assert copy.version == 2 and copy.frozen_at is None


# --- Admin ------------------------------------------------------------------------------------


def _criterion_form(criterion: Criterion, **level_changes) -> dict:
    """The criterion change page with its levels and objective links inline, as the browser
    posts it."""
    levels = list(criterion.levels.order_by("order"))
    data = {
        "rubric": str(criterion.rubric_id),
        "order": str(criterion.order),
        "title": criterion.title,
        "description": criterion.description,
        "weight": str(criterion.weight),
        "levels-TOTAL_FORMS": str(len(levels)),
        "levels-INITIAL_FORMS": str(len(levels)),
        "levels-MIN_NUM_FORMS": "0",
        "levels-MAX_NUM_FORMS": "1000",
    }
    links = list(criterion.objective_links.order_by("pk"))
    data |= {
        "objective_links-TOTAL_FORMS": str(len(links)),
        "objective_links-INITIAL_FORMS": str(len(links)),
        "objective_links-MIN_NUM_FORMS": "0",
        "objective_links-MAX_NUM_FORMS": "1000",
    }
    for i, link in enumerate(links):
        data |= {
            f"objective_links-{i}-id": str(link.pk),
            f"objective_links-{i}-criterion": str(criterion.pk),
            f"objective_links-{i}-objective": str(link.objective_id),
        }
    for i, level in enumerate(levels):
        data |= {
            f"levels-{i}-id": str(level.pk),
            f"levels-{i}-criterion": str(criterion.pk),
            f"levels-{i}-order": str(level.order),
            f"levels-{i}-label": level.label,
            f"levels-{i}-points": str(level.points),
            f"levels-{i}-descriptor": level.descriptor,
        }
    return data | {f"levels-0-{field}": value for field, value in level_changes.items()}


def test_admin_refuses_a_post_changing_a_frozen_versions_level(people, frozen, client_for):
    criterion = _first_criterion(frozen)
    before = meaning(frozen.pk)
    response = client_for(people.admin).post(
        reverse("admin:rubrics_criterion_change", args=[criterion.pk]), _criterion_form(criterion, points="99")
    )
    assert response.status_code == 403
    assert meaning(frozen.pk) == before


def test_admin_shows_an_error_when_the_version_froze_while_the_level_form_was_open(
    people, frozen, client_for, monkeypatch
):
    # The permission checks ran before the freeze: the form refuses the frozen version.
    for admin_class in (CriterionAdmin, LevelInline):
        monkeypatch.setattr(admin_class, "has_change_permission", lambda self, request, obj=None: True)
    criterion = _first_criterion(frozen)
    before = meaning(frozen.pk)
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    response = client_for(people.admin).post(url, _criterion_form(criterion, points="99"))
    assert response.status_code == 200
    assert "a frozen version gets no new or changed criteria" in response.content.decode()
    assert meaning(frozen.pk) == before


def test_admin_shows_a_message_when_the_version_froze_while_the_rubric_form_was_open(
    people, frozen, client_for, monkeypatch
):
    # The permission checks and the form passed before the freeze: only the models' guard is left.
    monkeypatch.setattr(RubricAdmin, "has_change_permission", lambda self, request, obj=None: True)
    before = meaning(frozen.pk)
    url = reverse("admin:rubrics_rubric_change", args=[frozen.pk])
    data = {"family": frozen.family, "version": "1", "title": "Changed", "description": frozen.description}
    for prefix in ("criteria", "attachments"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0"}
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    response = client_for(people.admin).post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    assert any("Weekly deliverable (v1) is frozen" in str(m) for m in get_messages(response.wsgi_request))
    assert meaning(frozen.pk) == before


def test_admin_offers_no_frozen_version_for_a_new_criterion(people, frozen, client_for):
    client = client_for(people.admin)
    page = client.get(reverse("admin:rubrics_criterion_add"))
    assert f'<option value="{frozen.pk}"' not in page.content.decode()
    response = client.post(
        reverse("admin:rubrics_criterion_add"),
        {
            "rubric": str(frozen.pk),
            "order": "99",
            "title": "Sneaked in",
            "weight": "1",
            "levels-TOTAL_FORMS": "0",
            "levels-INITIAL_FORMS": "0",
            "levels-MIN_NUM_FORMS": "0",
            "levels-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "a frozen version gets no new or changed criteria" in response.content.decode()
    assert not Criterion.objects.filter(title="Sneaked in").exists()


def test_admin_still_edits_the_levels_of_an_unfrozen_version(people, draft, client_for):
    criterion = _first_criterion(draft)
    url = reverse("admin:rubrics_criterion_change", args=[criterion.pk])
    response = client_for(people.admin).post(url, _criterion_form(criterion, descriptor="Clearer words."))
    assert response.status_code == 302
    assert criterion.levels.order_by("order").first().descriptor == "Clearer words."
