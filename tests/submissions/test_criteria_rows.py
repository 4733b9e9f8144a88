"""Success-criteria rows: any number the page adds (static/js/app.js numbers them), up to a
bound, so that a posted row number cannot make the form build millions of fields."""

import pytest
from django.urls import reverse

from submissions import services
from submissions.forms import MAX_CRITERIA_ROWS, WorkspaceForm

from .conftest import workspace_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(people):
    return services.work_get_or_create(
        student=people.student, cohort=people.cohort, week=people.cohort.course.weeks.get(number=1)
    )


def test_rows_added_in_the_page_are_saved_in_order(work, people, client_for):
    data = workspace_post(work)
    data.update(
        {"criterion_5_criterion": "Error rate", "criterion_5_target": "< 0.1 %", "criterion_0_criterion": "p95"}
    )
    response = client_for(people.student).post(reverse("submissions:work", args=[work.pk]), data)
    assert response.status_code == 302
    work.refresh_from_db()
    assert [c["criterion"] for c in work.content["dossier"]["criteria"]] == ["p95", "Error rate"]


def test_a_row_number_past_the_bound_is_refused_and_builds_no_fields(work, people, client_for):
    data = workspace_post(work)
    data["criterion_99999999_metric"] = "sneaky"
    form = WorkspaceForm(data, work=work, objectives=[], gates=[])
    assert form.criteria_rows == MAX_CRITERIA_ROWS
    assert len([name for name in form.fields if name.startswith("criterion_")]) == MAX_CRITERIA_ROWS * 4
    assert not form.is_valid()
    assert f"At most {MAX_CRITERIA_ROWS} success criteria" in form.non_field_errors()[0]
    response = client_for(people.student).post(reverse("submissions:work", args=[work.pk]), data)
    assert response.status_code == 400
    assert f"At most {MAX_CRITERIA_ROWS} success criteria" in response.content.decode()


def test_the_page_carries_an_empty_row_template_and_the_add_button(work, people, client_for):
    html = client_for(people.student).get(reverse("submissions:work", args=[work.pk])).content.decode()
    assert '<template id="criteria-empty-row">' in html
    assert 'name="criterion___prefix___criterion"' in html and 'id="id_criterion___prefix___criterion"' in html
    assert 'data-next-index="3"' in html  # three empty rows on a fresh draft: the next one is index 3
    # Without JavaScript the button stays hidden and the old way is explained.
    assert "hidden>Add a criterion</button>" in html and "Save to get another empty row." in html
