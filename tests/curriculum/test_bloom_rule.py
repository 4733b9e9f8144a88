"""An objective's Bloom level follows its verb through the mapping, on every path that saves
it (admin, service, import), unless an admin overrides it; an unmapped verb is refused."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from curriculum.lint import lint_course
from curriculum.models import BloomVerb, Objective
from curriculum.services import curriculum_import, objective_update
from tests.factories import bloom_level

from .support import week_change_data

pytestmark = pytest.mark.django_db

REAL_TEXT = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
EXPLAIN_TEXT = "Explain REST Conventions, Validation, and Error Contracts to a new teammate with one example."


def _post_week_3(client, **changes):
    week = Objective.objects.get(week__number=3, order=1).week
    data = week_change_data(week)
    data.update({f"objectives-0-{name}": value for name, value in changes.items()})
    return client.post(reverse("admin:curriculum_week_change", args=[week.pk]), data)


def test_changing_the_verb_in_the_admin_moves_the_level_and_the_week_page_and_lint_follow(
    course, people, client_for, client
):
    response = _post_week_3(client_for(people.admin), verb="Explain", text=EXPLAIN_TEXT)
    assert response.status_code == 302
    objective = Objective.objects.get(week__number=3, order=1)
    assert (objective.bloom_level.key, objective.bloom_level_overridden) == ("understand", False)

    page = client.get(reverse("curriculum:week", args=[course.slug, 3])).content.decode()
    first_outcome = page[page.index('<ol class="objectives">') :].split("</li>")[0]
    assert "Understand</span>" in first_outcome and "Analyze</span>" not in first_outcome
    lint = [str(f) for f in lint_course(course) if f.check == "bloom-progression" and f.location == "Week 3"]
    assert lint and "its lowest objective level (Understand)" in lint[0]


def test_an_unmapped_verb_is_refused_in_the_admin_with_a_link_to_the_mapping(course, people, client_for):
    response = _post_week_3(client_for(people.admin), verb="Scrutinize", text="Scrutinize REST contracts.")
    assert response.status_code == 200  # the form again, with the error
    html = response.content.decode()
    url = reverse("admin:curriculum_bloomverb_changelist")
    assert f'The verb “Scrutinize” has no Bloom level in the <a href="{url}">Bloom verb mapping</a>' in html
    assert Objective.objects.get(week__number=3, order=1).verb == "Analyze"


def test_an_override_keeps_the_chosen_level_and_shows_in_the_admin_and_the_lint(course, people, client_for):
    create = bloom_level("create")
    response = _post_week_3(
        client_for(people.admin), verb="Explain", text=EXPLAIN_TEXT, bloom_level=create.pk, bloom_level_overridden="on"
    )
    assert response.status_code == 302
    objective = Objective.objects.get(week__number=3, order=1)
    assert (objective.bloom_level, objective.bloom_level_overridden) == (create, True)

    findings = [str(f) for f in lint_course(course) if f.check == "bloom-override"]
    assert findings == ["Week 3, objective 1: level set by hand to Create (the verb “Explain” maps to Understand)"]
    changelist = client_for(people.admin).get(
        reverse("admin:curriculum_objective_changelist"), {"bloom_level_overridden__exact": "1"}
    )
    assert "1 objective" in changelist.content.decode() and "Override level" in changelist.content.decode()


def test_without_the_override_the_level_chosen_in_the_form_gives_way_to_the_verb(course, people, client_for):
    response = _post_week_3(client_for(people.admin), bloom_level=bloom_level("remember").pk)
    assert response.status_code == 302
    assert Objective.objects.get(week__number=3, order=1).bloom_level.key == "analyze"


def test_an_override_needs_a_level(course, people, client_for):
    response = _post_week_3(client_for(people.admin), bloom_level="", bloom_level_overridden="on")
    assert "Choose the level to keep, or untick “override level”" in response.content.decode()


def test_the_service_applies_the_same_rule(course):
    objective = Objective.objects.get(week__number=3, order=1)
    objective_update(objective=objective, verb="Design")
    assert objective.bloom_level.key == "create"
    with pytest.raises(ValidationError) as caught:
        objective_update(objective=Objective.objects.get(pk=objective.pk), verb="Ponder")
    assert "The verb “Ponder” has no Bloom level in the verb mapping" in str(caught.value)
    assert reverse("admin:curriculum_bloomverb_changelist") in str(caught.value)
    objective_update(objective=objective, verb="Ponder", bloom_level=bloom_level("apply"), bloom_level_overridden=True)
    assert objective.bloom_level.key == "apply"


def test_the_import_keeps_an_override_and_moves_the_rest_with_the_verb(course):
    week_3 = course.weeks.get(number=3)
    overridden = week_3.objectives.get(order=1)
    objective_update(objective=overridden, bloom_level=bloom_level("create"), bloom_level_overridden=True)
    edited = REAL_TEXT.replace(
        "- Analyze the principles of REST Conventions", "- Examine the principles of REST Conventions"
    ).replace("- Evaluate REST Conventions", "- Explain REST Conventions")
    curriculum_import(text=edited, source_name="customer.txt")
    overridden.refresh_from_db()
    assert (overridden.verb, overridden.bloom_level.key) == ("Examine", "create")
    following = week_3.objectives.get(order=2)
    assert (following.verb, following.bloom_level.key) == ("Explain", "understand")


def test_remapping_a_verb_in_the_admin_moves_the_objectives_that_follow_it(course, people, client_for):
    justify = BloomVerb.objects.get(verb="justify")
    create = bloom_level("create")
    response = client_for(people.admin).post(
        reverse("admin:curriculum_bloomverb_change", args=[justify.pk]), {"verb": "justify", "level": create.pk}
    )
    assert response.status_code == 302
    levels = set(
        Objective.objects.filter(week__course=course, verb="Justify").values_list("bloom_level__key", flat=True)
    )
    assert levels == {"create"}


def test_the_lint_command_lists_overrides(course, capsys):
    objective = Objective.objects.get(week__number=5, order=2)
    objective_update(objective=objective, bloom_level=bloom_level("create"), bloom_level_overridden=True)
    call_command("curriculum_lint")
    assert "[bloom-override] Week 5, objective 2: level set by hand to Create" in capsys.readouterr().out
