import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.models import BloomVerb, CapstoneDeliverable, CapstoneProject, Course, Lab, Objective, QualityGate, Week
from curriculum.parsing import CurriculumFormatError, parse_curriculum
from curriculum.services import CurriculumImportError, curriculum_import, load_overlay
from tests.factories import CohortFactory, ExtensionFactory, WeeklyWorkFactory

pytestmark = pytest.mark.django_db

REAL_TEXT = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")
WEEKS_HEADING = "Detailed Weekly Curriculum"
# shared/curriculum/backend-engineering-scalable-architectures.txt as the customer delivered it.
CUSTOMER_DOCUMENT_SHA256 = "576a6576460e0ff4b934a0df90cb123126521f783ea142f6b7ef350c0e98424b"
TITLE = "Backend Engineering: Scalable Architectures"
SLUG = "backend-engineering-scalable-architectures"
WEEK_8 = "Caching with Redis and HTTP Cache Strategies"


def _week(title: str) -> str:
    """A week in the format: its title, 4 outcomes naming it, then 4 routines."""
    outcomes = [f"- {verb} {title} in depth." for verb in ("Analyze", "Evaluate", "Design", "Justify")]
    routines = ["- Track progress.", "- Run a retrospective.", "- Revise from feedback.", "- Publish the output."]
    return "\n".join([title, *outcomes, *routines]) + "\n"


def _without_last_week(text: str) -> str:
    start = text.index("\nCapstone Review, Operations Readiness, and Technical Defense\n")
    end = text.index("\nCapstone Projects\n")
    return text[:start] + text[end:]


def test_bundled_file_is_the_customers_document():
    assert hashlib.sha256(settings.CURRICULUM_DEFAULT_PATH.read_bytes()).hexdigest() == CUSTOMER_DOCUMENT_SHA256
    customer = Path(settings.BASE_DIR).parent / "shared" / "curriculum" / settings.CURRICULUM_DEFAULT_PATH.name
    if customer.exists():  # the shared folder sits beside the clone on team machines and in CI
        assert hashlib.sha256(customer.read_bytes()).hexdigest() == CUSTOMER_DOCUMENT_SHA256


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


def test_renaming_a_week_keeps_its_outcomes_and_their_bloom_levels(course):
    renamed = REAL_TEXT.replace(f"\n{WEEK_8}\n", "\nEdge Caching\n", 1)  # the title line only
    report = curriculum_import(text=renamed, source_name="renamed.txt")
    assert report.changes == ["Week 8: title changed"]
    objectives = list(course.weeks.get(number=8).objectives.order_by("order"))
    assert [o.kind for o in objectives] == ["outcome"] * 4 + ["routine"] * 4
    assert [o.bloom_level.key for o in objectives[:4]] == ["analyze", "evaluate", "create", "evaluate"]


def test_a_stray_heading_inside_a_week_fails_naming_the_line_and_imports_nothing(course, tmp_path):
    justify = "- Justify a portfolio-ready engineering implementation dossier for Backend Architecture Fundamentals"
    weird = REAL_TEXT.replace(justify, f"=== Unknown structure ===\n  * weird: thing\n{justify}", 1)
    path = tmp_path / "weird.txt"
    path.write_text(weird, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_curriculum", str(path))
    message = str(caught.value)
    assert "weird.txt:10: week 1 (“Backend Architecture Fundamentals and Request Lifecycle”, line 6)" in message
    assert "has 3 of its 8 items: expected 8 “- ” items (4 outcome objectives, then 4 routines)" in message
    assert "found “=== Unknown structure ===” where item 4 should be" in message
    assert message.endswith("Nothing was imported.")
    assert course.weeks.count() == 24
    assert course.weeks.get(number=1).objectives.count() == 8


def test_an_in_place_import_that_changes_the_number_of_weeks_is_refused(course, tmp_path, capsys):
    path = tmp_path / "shorter.txt"
    path.write_text(_without_last_week(REAL_TEXT), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_curriculum", str(path))
    assert (
        f"shorter.txt: the file has 23 weeks but {TITLE} (v1) has 24; an import in place cannot change the number "
        "of weeks"
    ) in str(caught.value)
    assert "Import the file as a new version with --new-version. Nothing was imported." in str(caught.value)
    assert course.weeks.count() == 24

    call_command("import_curriculum", "--new-version", str(path))
    assert f"Created {TITLE} (v2) from shorter.txt: 23 weeks, 3 capstone projects." in capsys.readouterr().out
    assert course.weeks.count() == 24


def test_an_import_never_removes_a_week_that_holds_an_extension(course):
    extension = ExtensionFactory(cohort=CohortFactory(course=course), week=course.weeks.get(number=24))
    with pytest.raises(CurriculumImportError, match="cannot change the number of weeks"):
        curriculum_import(text=_without_last_week(REAL_TEXT), source_name="shorter.txt")
    extension.refresh_from_db()
    assert extension.week.number == 24


def test_a_week_with_extensions_or_student_work_cannot_be_removed_and_the_import_says_why(course):
    """The import refuses to drop weeks before it gets here; this is its last guard, the
    same one for extensions (PROTECT since cohorts 0002) as for weekly work."""
    from curriculum.services import _Merger

    def merger():
        return _Merger(reason="test", source="test.txt", take_file=False, baselines={})

    cohort = CohortFactory(course=course)
    week = course.weeks.get(number=2)
    extension = ExtensionFactory(cohort=cohort, week=week)
    with pytest.raises(CurriculumImportError, match=r"^Week 2 cannot be removed: 1 extension still refer"):
        merger().delete(week, "week:2", "Week 2")
    WeeklyWorkFactory(cohort=cohort, student=extension.student, week=week)
    with pytest.raises(CurriculumImportError, match=r"^Week 2 cannot be removed: 1 extension, 1 weekly work still"):
        merger().delete(week, "week:2", "Week 2")
    assert course.weeks.filter(number=2).exists()


def test_a_changed_course_title_is_never_guessed_at_even_with_a_single_course(course, tmp_path, capsys):
    """It may be another course's document: overwriting would reschedule every cohort."""
    path = tmp_path / "retitled.txt"
    path.write_text(REAL_TEXT.replace(f"Welcome to {TITLE}!", "Welcome to Backend Engineering: Systems at Scale!"))
    with pytest.raises(CommandError) as caught:
        call_command("import_curriculum", str(path))
    assert (
        f"matches none of the courses ({SLUG}); to give a course this title run again with --course SLUG, "
        "to add the file as another course with --new-course"
    ) in str(caught.value)
    assert list(Course.objects.values_list("slug", "version", "title")) == [(SLUG, 1, TITLE)]


def test_the_course_option_retitles_that_course_and_keeps_its_slug(course, tmp_path, capsys):
    path = tmp_path / "retitled.txt"
    path.write_text(REAL_TEXT.replace(f"Welcome to {TITLE}!", "Welcome to Backend Engineering: Systems at Scale!"))
    call_command("import_curriculum", "--course", SLUG, str(path))
    out = capsys.readouterr().out
    assert "Updated Backend Engineering: Systems at Scale (v1) from retitled.txt" in out
    assert f"Course “{SLUG}” v1: title changed: “{TITLE}” → “Backend Engineering: Systems at Scale”" in out
    assert list(Course.objects.values_list("slug", "version", "title")) == [
        (SLUG, 1, "Backend Engineering: Systems at Scale")
    ]
    call_command("import_curriculum", "--course", SLUG, str(path))
    assert "Unchanged: Backend Engineering: Systems at Scale (v1)" in capsys.readouterr().out


def test_new_course_adds_another_course_beside_the_first(course, tmp_path, capsys):
    path = tmp_path / "data.txt"
    path.write_text(REAL_TEXT.replace(f"Welcome to {TITLE}!", "Welcome to Data Engineering Foundations!"))
    call_command("import_curriculum", "--new-course", str(path))
    assert sorted(Course.objects.values_list("slug", "title")) == [
        (SLUG, TITLE),
        ("data-engineering-foundations", "Data Engineering Foundations"),
    ]
    with pytest.raises(CommandError, match="exists already; import without --new-course"):
        call_command("import_curriculum", "--new-course", str(path))
    with pytest.raises(CommandError, match="not both"):
        call_command("import_curriculum", "--new-course", "--course", SLUG, str(path))


def test_a_new_version_of_a_retitled_course_stays_in_its_family(course):
    retitled = REAL_TEXT.replace(f"Welcome to {TITLE}!", "Welcome to Backend Engineering: Systems at Scale!")
    report = curriculum_import(text=retitled, source_name="v2.txt", as_new_version=True, course_slug=SLUG)
    assert (report.course.slug, report.course.version) == (SLUG, 2)


def test_with_several_courses_an_unmatched_title_needs_the_course_option(course, tmp_path, capsys):
    Course.objects.create(slug="data-engineering", title="Data Engineering")
    path = tmp_path / "retitled.txt"
    path.write_text(REAL_TEXT.replace(f"Welcome to {TITLE}!", "Welcome to Backend Engineering: Systems at Scale!"))
    with pytest.raises(CommandError) as caught:
        call_command("import_curriculum", str(path))
    assert (
        "matches none of the courses (backend-engineering-scalable-architectures, data-engineering); "
        "to give a course this title run again with --course SLUG"
    ) in str(caught.value)
    assert Course.objects.get(slug=SLUG).title == TITLE

    call_command("import_curriculum", "--course", SLUG, str(path))
    assert "title changed" in capsys.readouterr().out
    assert Course.objects.get(slug=SLUG).title == "Backend Engineering: Systems at Scale"


def test_the_course_option_must_name_an_existing_course(course):
    with pytest.raises(CommandError, match=f"there is no course “nope” to update \\(the courses are: {SLUG}\\)"):
        call_command("import_curriculum", "--course", "nope")


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


HEAD = "Welcome to X!\nDetailed Weekly Curriculum\n"
WEEK_A = _week("Week A")  # lines 3–11 after HEAD


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Welcome to X!\nIntro\n- stray bullet\n" + HEAD[14:] + WEEK_A, 3, "bullet appears before any week"),
        (HEAD + "- Analyze things\n" + WEEK_A, 3, "bullet appears before any week"),
        (
            HEAD + WEEK_A + "Week B\n" + WEEK_A,
            13,
            "week 2 (“Week B”, line 12) has 0 of its 8 items: expected 8 “- ” items (4 outcome objectives, then 4 "
            "routines) after the week title, found “Week A” where item 1 should be",
        ),
        (HEAD + WEEK_A + "Week B\n", 12, "week 2 (“Week B”, line 12) has 0 of its 8 items"),
        (HEAD + WEEK_A.replace("- Publish the output.\n", ""), 10, "found the end of the document where item 8"),
        (
            HEAD + WEEK_A.replace("- Publish the output.\n", "") + "Capstone Projects\n",
            11,
            "found the “Capstone Projects” heading where item 8 should be",
        ),
        (
            HEAD + WEEK_A + "- A ninth item.\n",
            12,
            "week 1 (“Week A”, line 3) already has its 8 “- ” items (4 outcome objectives, then 4 routines); "
            "expected the next week's title or “Capstone Projects”, found a further item “- A ninth item.”",
        ),
        (
            HEAD + WEEK_A + "=== Unknown structure ===\n" + WEEK_A,
            12,
            "expected the title of week 2 or “Capstone Projects”, found “=== Unknown structure ===”: it looks like "
            "markup",
        ),
        (HEAD + WEEK_A + "===\n" + WEEK_A, 12, "found “===”: it looks like markup"),
        (HEAD + WEEK_A + "# Week B\n" + WEEK_A, 12, "found “# Week B”: it looks like markup"),
        (HEAD + WEEK_A + "<h2>Week B</h2>\n" + WEEK_A, 12, "found “<h2>Week B</h2>”: it looks like markup"),
        (HEAD + WEEK_A + "...\n" + WEEK_A, 12, "found “...”: it has no words"),
        (HEAD + WEEK_A + "Week " + "B" * 300 + "\n" + WEEK_A, 12, "a week title has at most 200"),
        ("Welcome to X!\nIntro only\n", 2, "no “Detailed Weekly Curriculum” heading"),
        (HEAD + WEEK_A + "Capstone Projects\nSomething odd\n", 13, "unexpected line in the capstone section"),
        (HEAD + WEEK_A + "Capstone Projects\nProject 2: Skipped one\n- x\n", 13, "expected “Project 1: …”"),
        (
            HEAD + WEEK_A + "Capstone Projects\nProject 1: P\nDescription\nProject 2: Q\n- d\n",
            13,
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
