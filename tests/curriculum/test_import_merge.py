"""A re-import is a three-way merge: the file's changes are applied, admins' edits are kept,
and a field both changed is a conflict that an admin (or --take-file) settles."""

import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from curriculum.models import CapstoneDeliverable, ImportBaseline, ImportConflict, Objective
from curriculum.parsing import parse_curriculum
from tests.factories import UserFactory

from .support import week_change_data

pytestmark = pytest.mark.django_db

REAL_TEXT = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
WEEK_3_OBJECTIVE_1 = (
    "Analyze the principles of REST Conventions, Validation, and Error Contracts and link them to course "
    "outcomes at advanced depth with architecture-level decision quality."
)
ADMIN_TEXT = "Explain how REST conventions, validation and error contracts fit together, with one worked example."
FILE_TEXT = "Analyze REST Conventions, Validation, and Error Contracts against three real incident reports."


def _line_of(text: str) -> int:
    return next(number for number, line in enumerate(REAL_TEXT.splitlines(), start=1) if text in line)


def _edit_week_3_objective_1_in_the_admin(client) -> Objective:
    week = Objective.objects.get(week__number=3, order=1).week
    data = week_change_data(week)
    data["objectives-0-verb"] = "Explain"
    data["objectives-0-text"] = ADMIN_TEXT
    response = client.post(reverse("admin:curriculum_week_change", args=[week.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    objective = week.objectives.get(order=1)
    assert (objective.verb, objective.text) == ("Explain", ADMIN_TEXT)
    return objective


def _import(tmp_path: Path, text: str, *args: str) -> str:
    path = tmp_path / "customer.txt"
    path.write_text(text, encoding="utf-8")
    call_command("import_curriculum", *args, str(path))
    return str(path)


@pytest.fixture
def admin_client(people, client_for):
    return client_for(people.admin)


def test_week_3_objective_1_is_the_one_the_tests_edit(course):
    assert course.weeks.get(number=3).objectives.get(order=1).text == WEEK_3_OBJECTIVE_1


def test_reimporting_the_unchanged_file_keeps_an_admin_edit_and_says_so(course, admin_client, capsys):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    history = objective.history.count()
    call_command("import_curriculum")
    out = capsys.readouterr().out
    assert "Unchanged: Backend Engineering: Scalable Architectures (v1)" in out
    assert "kept 1 admin edit the file did not change:\n    Week 3, objective 1 (text, verb)" in out
    objective.refresh_from_db()
    assert (objective.verb, objective.text, objective.bloom_level.key) == ("Explain", ADMIN_TEXT, "understand")
    assert objective.history.count() == history  # the import wrote nothing

    call_command("import_curriculum")  # and again: still nothing to undo
    assert "kept 1 admin edit" in capsys.readouterr().out
    objective.refresh_from_db()
    assert objective.text == ADMIN_TEXT


def test_a_file_changed_elsewhere_is_merged_and_the_admin_edit_kept(course, admin_client, tmp_path, capsys):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    edited = REAL_TEXT.replace("Caching with Redis and HTTP Cache Strategies", "Caching with Redis and CDNs").replace(
        "- Evaluate REST Conventions, Validation, and Error Contracts in a guided scenario",
        "- Evaluate REST Conventions, Validation, and Error Contracts in a guided migration scenario",
    )
    _import(tmp_path, edited)
    out = capsys.readouterr().out
    assert "Updated Backend Engineering: Scalable Architectures (v1)" in out
    assert "Week 8: title changed" in out and "Week 3, objective 2: text changed" in out
    assert "kept 1 admin edit" in out and "Week 3, objective 1 (text, verb)" in out
    assert course.weeks.get(number=8).title == "Caching with Redis and CDNs"
    assert "guided migration scenario" in course.weeks.get(number=3).objectives.get(order=2).text
    objective.refresh_from_db()
    assert objective.text == ADMIN_TEXT
    assert objective.history.first().history_user is not None  # the newest row is still the admin's


def test_a_field_both_changed_is_a_conflict_reported_with_its_line_and_exit_status_1(
    course, admin_client, tmp_path, capsys
):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    line = _line_of(WEEK_3_OBJECTIVE_1)
    with pytest.raises(CommandError) as caught:
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    assert caught.value.returncode == 1
    assert "1 conflict: an admin and customer.txt both changed this field since the last import" in str(caught.value)
    assert f"/admin/curriculum/course/{course.pk}/change/" in str(caught.value)
    out = capsys.readouterr().out
    assert (
        f"Conflict: Week 3, objective 1, text (customer.txt:{line}): the admin's “{ADMIN_TEXT}” ≠ the file's "
        f"“{FILE_TEXT}”"
    ) in out
    objective.refresh_from_db()
    assert objective.text == ADMIN_TEXT  # left as the admin made it
    # The verb: the admin wrote "Explain", the file still says "Analyze" (unchanged): kept.
    assert objective.verb == "Explain"
    conflict = ImportConflict.objects.get()
    assert (conflict.label, conflict.field, conflict.line, conflict.resolution) == (
        "Week 3, objective 1",
        "text",
        line,
        "",
    )

    # It stays a conflict however often the file is imported, until someone chooses.
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    assert ImportConflict.objects.open().count() == 1


def test_take_file_takes_the_files_value(course, admin_client, tmp_path, capsys):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT), "--take-file")
    out = capsys.readouterr().out
    assert "Took the file's value (--take-file): Week 3, objective 1, text" in out
    objective.refresh_from_db()
    assert objective.text == FILE_TEXT
    assert objective.verb == "Explain"  # not in conflict: the file did not change the verb
    assert objective.history.first().history_change_reason == "Imported from customer.txt"
    assert ImportConflict.objects.get().resolution == ImportConflict.Resolution.TOOK_FILE
    _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))  # settled: exits 0
    assert "Unchanged:" in capsys.readouterr().out


def _seed_import_arguments() -> list[str]:
    """The import_curriculum arguments of the Makefile's `seed` target (what `make run` runs)."""
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^seed:.*?\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    command = next(line for line in recipe.splitlines() if "import_curriculum" in line)
    return shlex.split(command.split("import_curriculum", 1)[1])


def test_make_run_reports_a_conflict_and_goes_on(course, admin_client, capsys, settings, tmp_path):
    _edit_week_3_objective_1_in_the_admin(admin_client)
    path = tmp_path / "customer.txt"
    path.write_text(REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT), encoding="utf-8")
    settings.CURRICULUM_DEFAULT_PATH = path
    arguments = _seed_import_arguments()
    assert not any(argument.startswith("--take-file") for argument in arguments)
    call_command("import_curriculum", *arguments, str(path))  # no exception: `make run` goes on
    out = capsys.readouterr().out
    assert "Conflict: Week 3, objective 1, text" in out
    assert "1 conflict: an admin and customer.txt both changed this field" in out
    assert Objective.objects.get(week__number=3, order=1).text == ADMIN_TEXT


def test_an_admin_settles_a_conflict_keeping_their_value(course, admin_client, people, tmp_path, capsys):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    conflict = ImportConflict.objects.get()
    page = admin_client.get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    assert "Import conflicts (1)" in page
    assert ADMIN_TEXT in page and FILE_TEXT in page and f"customer.txt:{conflict.line}" in page

    url = reverse("admin:curriculum_course_settle_conflict", args=[course.pk, conflict.pk])
    response = admin_client.post(url, {"choice": "keep"}, follow=True)
    assert "Week 3, objective 1, text: kept the admin&#x27;s value." in response.content.decode()
    conflict.refresh_from_db()
    assert (conflict.resolution, conflict.resolved_by) == ("kept", people.admin)
    assert conflict.history.first().history_user == people.admin
    assert ImportBaseline.objects.get(course=course, record="week:3/objective:1").values["text"] == FILE_TEXT
    timeline = admin_client.get(reverse("admin:curriculum_history"), {"imports": "hide"}).content.decode()
    assert "Import conflict changed" in timeline and "Kept the admin&#x27;s value" in timeline

    capsys.readouterr()
    _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))  # no conflict any more
    assert "kept 1 admin edit" in capsys.readouterr().out
    objective.refresh_from_db()
    assert objective.text == ADMIN_TEXT
    assert (
        "Import conflicts"
        not in admin_client.get(reverse("admin:curriculum_course_change", args=[course.pk])).content.decode()
    )


def test_an_admin_settles_a_conflict_taking_the_files_value(course, admin_client, people, tmp_path):
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    conflict = ImportConflict.objects.get()
    url = reverse("admin:curriculum_course_settle_conflict", args=[course.pk, conflict.pk])
    assert admin_client.post(url, {"choice": "take_file"}).status_code == 302
    objective.refresh_from_db()
    assert objective.text == FILE_TEXT
    record = objective.history.first()
    assert record.history_user == people.admin
    assert record.history_change_reason == "Import conflict settled in the admin: took the value of customer.txt"
    # Settled once: a second choice is refused with a message, not a 500.
    response = admin_client.post(url, {"choice": "keep"}, follow=True)
    assert "This conflict was settled already (took the file&#x27;s value)." in response.content.decode()
    history = admin_client.get(reverse("admin:curriculum_history")).content.decode()
    assert "Import conflict settled in the admin" in history


def test_settling_needs_a_post_a_valid_choice_and_the_right_to_edit(course, admin_client, people, client_for, tmp_path):
    _edit_week_3_objective_1_in_the_admin(admin_client)
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(WEEK_3_OBJECTIVE_1, FILE_TEXT))
    conflict = ImportConflict.objects.get()
    url = reverse("admin:curriculum_course_settle_conflict", args=[course.pk, conflict.pk])
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, {"choice": "both"}, follow=True)
    assert "Choose “Keep mine” or “Take file”." in response.content.decode()
    assert client_for(people.instructor).post(url, {"choice": "take_file"}).status_code == 302  # to the sign-in
    viewer = UserFactory(is_staff=True)  # staff, but without the permission to change objectives
    assert client_for(viewer).post(url, {"choice": "take_file"}).status_code == 403
    conflict.refresh_from_db()
    assert conflict.resolution == ""


def test_a_deliverable_both_changed_is_a_conflict_with_its_line(course, tmp_path, capsys):
    deliverable = CapstoneDeliverable.objects.get(project__course=course, project__number=2, order=1)
    original = deliverable.title
    deliverable.title = "Rate limiting and caching package (admin's wording)"
    deliverable.save()
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace(f"- {original}", "- Rate limiting and queues package"))
    out = capsys.readouterr().out
    assert f"Conflict: Capstone project 2, deliverable 1, title (customer.txt:{_line_of(original)})" in out
    deliverable.refresh_from_db()
    assert deliverable.title == "Rate limiting and caching package (admin's wording)"


def test_lab_edits_are_merged_with_the_overlay(course, tmp_path, capsys):
    from curriculum.services import curriculum_import, load_overlay

    lab = course.weeks.get(number=5).lab
    lab.scenario = "The admin's own scenario."
    lab.save()
    overlay = load_overlay(settings.CURRICULUM_OVERLAY_PATH)
    overlay["labs"]["5"]["title"] = "A retitled lab"
    overlay["labs"]["5"]["quality_gates"][0] = "A stricter first gate"
    report = curriculum_import(text=REAL_TEXT, source_name="customer.txt", overlay=overlay)
    assert "Week 5, lab: title changed" in report.changes
    assert "Week 5, lab quality gate 1: text changed" in report.changes
    assert report.kept == ["Week 5, lab (scenario)"]
    lab.refresh_from_db()
    assert (lab.title, lab.scenario) == ("A retitled lab", "The admin's own scenario.")
    assert lab.quality_gates.get(order=1).text == "A stricter first gate"


def test_a_record_an_admin_deleted_is_not_brought_back(course):
    from curriculum.services import curriculum_import, load_overlay

    gate = course.weeks.get(number=6).lab.quality_gates.get(order=2)
    gate.delete()
    report = curriculum_import(
        text=REAL_TEXT, source_name="customer.txt", overlay=load_overlay(settings.CURRICULUM_OVERLAY_PATH)
    )
    assert report.changes == []
    assert report.kept == ["Week 6, lab quality gate 2 (deleted)"]
    assert not course.weeks.get(number=6).lab.quality_gates.filter(order=2).exists()


def test_introduction_conflict_names_the_line(course, tmp_path, capsys):
    course.introduction = "Our own introduction."
    course.save()
    first = parse_curriculum(REAL_TEXT).introduction_lines[0]
    with pytest.raises(CommandError):
        _import(tmp_path, REAL_TEXT.replace("This curriculum for Backend", "This 24-week curriculum for Backend"))
    out = capsys.readouterr().out
    assert f"introduction (customer.txt:{first})" in out


def test_a_course_imported_before_bases_were_kept_gets_them_from_its_history(course, admin_client, capsys):
    """The upgrade's data migration: the newest "Imported from …" history row of each record
    holds what the last import wrote, so the first merge after the upgrade keeps admin edits."""
    from importlib import import_module

    from django.apps import apps

    ImportBaseline.objects.all().delete()
    objective = _edit_week_3_objective_1_in_the_admin(admin_client)
    import_module("curriculum.migrations.0005_import_baselines_from_history").baselines_from_history(apps, None)
    assert ImportBaseline.objects.get(course=course, record="week:3/objective:1").values == {
        "verb": "Analyze",
        "text": WEEK_3_OBJECTIVE_1,
    }
    call_command("import_curriculum")
    assert "kept 1 admin edit" in capsys.readouterr().out
    objective.refresh_from_db()
    assert objective.text == ADMIN_TEXT


def test_the_compose_setup_job_reports_conflicts_instead_of_holding_the_services_back():
    import yaml

    compose = yaml.safe_load((Path(settings.BASE_DIR) / "compose.yaml").read_text(encoding="utf-8"))
    command = " ".join(compose["services"]["migrate"]["command"])
    assert "import_curriculum --report-conflicts" in command
