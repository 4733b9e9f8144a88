from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.models import BloomVerb, CapstoneDeliverable, CapstoneProject, Course, Lab, Objective, QualityGate, Week
from curriculum.parsing import CurriculumFormatError, parse_curriculum
from curriculum.services import curriculum_import, load_overlay

pytestmark = pytest.mark.django_db

REAL_TEXT = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
WEEKS_HEADING = "Detailed Weekly Curriculum"


def test_bundled_file_is_the_customers_document():
    customer = Path(settings.BASE_DIR).parent / "shared" / "curriculum" / settings.CURRICULUM_DEFAULT_PATH.name
    if customer.exists():  # the shared folder sits beside the clone on team machines and in CI
        assert customer.read_bytes() == settings.CURRICULUM_DEFAULT_PATH.read_bytes()


def test_real_file_imports_every_week_objective_and_capstone(course):
    assert course.title == "Backend Engineering: Scalable Architectures"
    assert course.introduction.startswith("This curriculum for Backend Engineering")
    weeks = list(Week.objects.for_course(course))
    assert [w.number for w in weeks] == list(range(1, 25))
    assert weeks[0].title == "Backend Architecture Fundamentals and Request Lifecycle"
    assert weeks[23].title == "Capstone Review, Operations Readiness, and Technical Defense"
    for week in weeks:
        objectives = list(week.objectives.order_by("order"))
        assert len(objectives) == 8
        assert [o.kind for o in objectives] == ["outcome"] * 4 + ["routine"] * 4
        assert all(o.bloom_level is not None for o in objectives[:4])
        assert all(o.bloom_level is None for o in objectives[4:])
    projects = list(CapstoneProject.objects.filter(course=course).order_by("number"))
    assert [p.title for p in projects] == [
        "Resilient Service Core Implementation",
        "Scalability and Safety Controls Extension",
        "Backend Architecture Defense and Handover",
    ]
    assert [p.deliverables.count() for p in projects] == [3, 3, 3]
    assert projects[2].deliverables.order_by("order").last().title.startswith("Roadmap")


def test_objectives_get_bloom_levels_from_the_verb_mapping(course):
    week1 = course.weeks.get(number=1).objectives.order_by("order")
    assert [(o.verb, o.bloom_level.key) for o in week1[:4]] == [
        ("Analyze", "analyze"),
        ("Evaluate", "evaluate"),
        ("Design", "create"),
        ("Justify", "evaluate"),
    ]
    week17 = course.weeks.get(number=17).objectives.order_by("order")
    assert [(o.verb, o.bloom_level.key) for o in week17[:4]] == [
        ("Design", "create"),
        ("Optimize", "create"),
        ("Architect", "create"),
        ("Defend", "evaluate"),
    ]


def test_overlay_gives_every_week_a_lab_with_measurable_quality_gates(course):
    labs = Lab.objects.filter(week__course=course)
    assert labs.count() == 24
    for lab in labs:
        gates = QualityGate.objects.filter(lab=lab).count()
        assert 3 <= gates <= 5, lab
        assert lab.tool_list and lab.constraint_list and lab.scenario
    due = {d.project.number: d.due_week.number for d in CapstoneDeliverable.objects.filter(project__course=course)}
    assert due == {1: 8, 2: 16, 3: 24}


def test_reimporting_the_same_file_changes_nothing(course):
    counts = [
        m.objects.count() for m in (Course, Week, Objective, Lab, QualityGate, CapstoneProject, CapstoneDeliverable)
    ]
    history = [m.history.count() for m in (Course, Week, Objective)]
    report = curriculum_import(
        text=REAL_TEXT, source_name="again.txt", overlay=load_overlay(settings.CURRICULUM_OVERLAY_PATH)
    )
    assert report.changes == []
    assert not report.created
    assert counts == [
        m.objects.count() for m in (Course, Week, Objective, Lab, QualityGate, CapstoneProject, CapstoneDeliverable)
    ]
    assert history == [m.history.count() for m in (Course, Week, Objective)]


def test_importing_an_edited_file_updates_what_changed_and_reports_it(course):
    edited = REAL_TEXT.replace(
        "Caching with Redis and HTTP Cache Strategies", "Caching with Redis, CDNs and HTTP Cache Strategies"
    ).replace(
        "- Rate limiting, caching, and async processing integration package",
        "- Rate limiting, caching, and queue-based async processing integration package",
    )
    report = curriculum_import(text=edited, source_name="edited.txt")
    assert not report.created
    assert "Week 8: title changed" in report.changes
    assert "Week 8, objective 1: text changed" in report.changes
    assert "Capstone project 2, deliverable 1: title changed" in report.changes
    assert not any(change.startswith("Week 7") for change in report.changes)
    assert course.weeks.get(number=8).title == "Caching with Redis, CDNs and HTTP Cache Strategies"
    assert Week.objects.filter(course=course).count() == 24
    assert Objective.objects.filter(week__course=course).count() == 192


def test_removing_an_objective_deletes_it_and_reports_it(course):
    line = (
        "- Publish the week output into your cumulative portfolio with concise outcome narrative and proof artifacts."
    )
    first, rest = REAL_TEXT.split(line, 1)  # drop week 1's last routine only
    report = curriculum_import(text=first + rest.lstrip("\n"), source_name="shorter.txt")
    assert report.changes == ["Week 1, objective 8: removed"]
    assert course.weeks.get(number=1).objectives.count() == 7


def test_new_version_leaves_the_previous_version_alone(course):
    report = curriculum_import(text=REAL_TEXT, source_name="v2.txt", as_new_version=True)
    assert report.created
    assert report.course.version == course.version + 1
    assert report.course.pk != course.pk
    assert Week.objects.filter(course=course).count() == 24
    assert Week.objects.filter(course=report.course).count() == 24


def test_unmapped_verb_imports_without_level_and_a_new_mapping_applies_on_reimport(course):
    text = REAL_TEXT.replace(
        "- Analyze the principles of Backend Architecture", "- Scrutinize the principles of Backend Architecture"
    )
    curriculum_import(text=text, source_name="x.txt")
    objective = course.weeks.get(number=1).objectives.get(order=1)
    assert (objective.verb, objective.bloom_level) == ("Scrutinize", None)
    BloomVerb.objects.create(verb="Scrutinize", level=BloomVerb.objects.get(verb="analyze").level)
    report = curriculum_import(text=text, source_name="x.txt")
    assert report.changes == ["Week 1, objective 1: bloom level changed"]
    objective.refresh_from_db()
    assert objective.bloom_level.key == "analyze"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "Welcome to X!\nIntro\n- stray bullet\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\n",
            3,
            "bullet appears before any week",
        ),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\n- Analyze things\nWeek A\n- Analyze Week A.\n",
            3,
            "bullet appears before any week",
        ),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\nWeek B\nWeek C\n- Analyze Week C.\n",
            5,
            "week 2 (“Week B”) has no objectives",
        ),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\nWeek B\n",
            5,
            "week 2 (“Week B”) has no objectives",
        ),
        ("Welcome to X!\nIntro only\n", 2, "no “Detailed Weekly Curriculum” heading"),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\nCapstone Projects\nSomething odd\n",
            6,
            "unexpected line in the capstone section",
        ),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\nCapstone Projects\nProject 2: Skipped one\n- x\n",
            6,
            "expected “Project 1: …”",
        ),
        (
            "Welcome to X!\nDetailed Weekly Curriculum\nWeek A\n- Analyze Week A.\nCapstone Projects\nProject 1: P\nDescription\nProject 2: Q\n- d\n",
            6,
            "capstone project 1 has no deliverables",
        ),
        ("", 1, "the document is empty"),
        ("- bullet first\n", 1, "expected the course title"),
        ("Welcome to X!\x00\n", 1, "binary"),
    ],
)
def test_malformed_documents_fail_with_the_line_number(text, line, message):
    with pytest.raises(CurriculumFormatError) as caught:
        parse_curriculum(text)
    assert caught.value.line == line
    assert message in caught.value.message


def test_a_malformed_file_leaves_the_database_as_it_was(course, tmp_path):
    broken = (
        REAL_TEXT.replace(
            "Caching with Redis and HTTP Cache Strategies\n-",
            "Caching with Redis and HTTP Cache Strategies, revised\n-",
        )
        + "\nProject 4: Half a project\n"
    )
    path = tmp_path / "broken.txt"
    path.write_text(broken, encoding="utf-8")
    before = (Week.objects.count(), course.weeks.get(number=8).title, CapstoneProject.objects.count())
    with pytest.raises(
        CommandError, match=r"broken.txt:\d+: capstone project 4 has no deliverables. Nothing was imported."
    ):
        call_command("import_curriculum", str(path))
    assert before == (Week.objects.count(), course.weeks.get(number=8).title, CapstoneProject.objects.count())


def test_command_reports_unchanged_on_reimport(course, capsys):
    call_command("import_curriculum")
    assert "Unchanged: Backend Engineering: Scalable Architectures (v1)" in capsys.readouterr().out


def test_command_rejects_a_file_that_is_not_utf8(tmp_path, db):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Welcome to X!\nDetailed Weekly Curriculum\nCaf\xe9\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1.txt:3: not UTF-8 text"):
        call_command("import_curriculum", str(path))


def test_command_rejects_a_missing_file(db):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_curriculum", "/nonexistent/curriculum.txt")
