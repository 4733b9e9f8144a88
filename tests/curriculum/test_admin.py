import pytest
from django.urls import reverse

from curriculum.history import recent_curriculum_changes
from curriculum.models import Objective

from .support import week_change_data

pytestmark = pytest.mark.django_db


def test_admin_edit_of_an_objective_is_recorded_with_who_and_what(course, people, client_for):
    week = course.weeks.get(number=3)
    client = client_for(people.admin)
    data = week_change_data(week)
    data["objectives-1-text"] = "Evaluate REST error contracts against RFC 9457 in a guided scenario."
    response = client.post(reverse("admin:curriculum_week_change", args=[week.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    objective = week.objectives.get(order=2)
    assert objective.text.startswith("Evaluate REST error contracts")
    record = objective.history.first()
    assert record.history_user == people.admin
    assert record.history_type == "~"

    page = client.get(reverse("admin:curriculum_history")).content.decode()
    assert "Evaluate REST error contracts" in page
    assert people.admin.email in page or people.admin.display_name in page
    assert "Objective changed" in page
    assert "text" in page

    assert "Evaluate REST error contracts" in client.get(reverse("curriculum:home")).content.decode()

    # The import's own rows can be hidden, leaving what people did; the course page links here.
    people_only = client.get(reverse("admin:curriculum_history"), {"imports": "hide"}).content.decode()
    assert "Evaluate REST error contracts" in people_only and "Imported from" not in people_only
    assert "Imported from" in page
    course_page = client.get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    assert reverse("admin:curriculum_history") in course_page


def test_course_admin_shows_lint_findings(course, people, client_for):
    page = client_for(people.admin).get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    assert "Curriculum lint" in page
    assert "[repeated-sentence]" in page


@pytest.mark.parametrize("role", ["student", "mentor", "instructor", "stranger"])
def test_curriculum_admin_is_closed_to_non_staff(role, people, client_for):
    response = client_for(getattr(people, role)).get(reverse("admin:curriculum_history"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_admin_login_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_history_page_query_count_is_bounded(course, people, client_for, django_assert_num_queries):
    for objective in Objective.objects.filter(week__course=course)[:30]:
        objective.text += " (edited)"
        objective.save()
    client = client_for(people.admin)
    # session, user, the newest rows of each of the nine tracked histories (9), the previous
    # versions of the changed rows, one query per model with changes (objectives, the course),
    # nav roles: the same for 30 edits as for 3
    with django_assert_num_queries(14):
        assert client.get(reverse("admin:curriculum_history")).status_code == 200


def test_the_history_names_the_fields_each_edit_changed_as_simple_history_does(course):
    objective = Objective.objects.filter(week__course=course).order_by("pk").first()
    objective.text += " (edited)"
    objective.save()
    objective.verb = "Justify"
    objective.save()
    records = list(objective.history.filter(history_type="~").order_by("-history_date")[:2])
    expected = [sorted(record.diff_against(record.prev_record).changed_fields) for record in records]
    shown = [
        sorted(change.changed_fields)
        for change in recent_curriculum_changes()
        if change.kind == "Objective" and change.action == "changed"
    ][:2]
    assert shown == expected
    assert "verb" in shown[0] and shown[1] == ["text"]


def test_saving_an_untouched_week_form_with_crlf_textareas_records_no_lab_change(course, people, client_for):
    week = course.weeks.get(number=5)
    data = week_change_data(week)
    for field in ("lab-0-tools", "lab-0-constraints", "lab-0-expected_evidence", "lab-0-scenario"):
        data[field] = data[field].replace("\n", "\r\n")  # what a browser sends
    lab_history = week.lab.history.count()
    response = client_for(people.admin).post(reverse("admin:curriculum_week_change", args=[week.pk]), data)
    assert response.status_code == 302
    week.lab.refresh_from_db()
    assert "\r" not in week.lab.tools
    assert week.lab.history.count() == lab_history
