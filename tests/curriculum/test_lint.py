import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.lint import lint_course, lint_document
from curriculum.parsing import parse_curriculum
from curriculum.services import objective_update

pytestmark = pytest.mark.django_db

REAL_TEXT = settings.CURRICULUM_DEFAULT_PATH.read_text(encoding="utf-8")


def _doc(weeks: list[tuple[str, list[str]]], intro: str = "Intro.") -> str:
    """Weeks in the format: 4 outcomes with the given leading verbs (the last one repeated
    to make four), then the 4 routines."""
    lines = ["Welcome to Test Course!", intro, "Detailed Weekly Curriculum"]
    for title, verbs in weeks:
        lines.append(title)
        verbs = (verbs + [verbs[-1]] * 4)[:4]
        lines += [f"- {verb} the principles of {title} in depth." for verb in verbs]
        lines += ["- Track progress.", "- Run a retrospective.", "- Incorporate feedback.", "- Publish the output."]
    return "\n".join(lines) + "\n"


def test_customer_file_reports_the_fourfold_repeated_introduction_sentence_with_its_line():
    findings = lint_document(parse_curriculum(REAL_TEXT))
    repeated = [f for f in findings if f.check == "repeated-sentence"]
    assert len(repeated) == 1
    assert repeated[0].line == 4
    assert "You will graduate with a professionally curated portfolio" in repeated[0].message
    assert "appears 4 times" in repeated[0].message


def test_customer_file_has_a_sound_bloom_progression_and_mapped_verbs():
    findings = lint_document(parse_curriculum(REAL_TEXT))
    assert [
        f for f in findings if f.check in ("bloom-progression", "bloom-mapping", "outcome-topic", "structure")
    ] == []


def test_a_week_falling_below_the_earlier_floor_is_reported():
    text = _doc(
        [
            ("Alpha", ["Analyze", "Evaluate"]),
            ("Beta", ["Evaluate", "Design"]),
            ("Gamma", ["Explain", "Design"]),  # Explain = understand, below the Evaluate floor of week 2
        ]
    )
    findings = [f for f in lint_document(parse_curriculum(text)) if f.check == "bloom-progression"]
    assert len(findings) == 1
    assert findings[0].location == "Week 3"
    assert "(Understand) falls below Evaluate" in findings[0].message
    assert findings[0].line == 22


def test_a_week_whose_average_drops_is_reported_and_a_progression_note_accepts_it(course):
    text = _doc([("Alpha", ["Design", "Design"]), ("Beta", ["Design", "Evaluate"])])
    findings = lint_document(parse_curriculum(text))
    assert [f.location for f in findings if f.check == "bloom-progression"] == ["Week 2"]
    assert lint_document(parse_curriculum(text), week_notes={2: "Consolidation week"}) == []


def test_unmapped_outcome_verbs_are_reported_but_routines_are_not():
    text = _doc([("Alpha", ["Ponder", "Analyze"])])  # the routines' verbs (Track, Run, …) have no mapping either
    findings = [f for f in lint_document(parse_curriculum(text)) if f.check == "bloom-mapping"]
    assert len(findings) == 1
    assert "“Ponder”" in findings[0].message


def test_an_outcome_that_does_not_name_a_renamed_week_is_reported_with_its_line():
    text = REAL_TEXT.replace("\nCaching with Redis and HTTP Cache Strategies\n", "\nEdge Caching\n", 1)
    week8 = REAL_TEXT.splitlines().index("Caching with Redis and HTTP Cache Strategies") + 1
    findings = [f for f in lint_document(parse_curriculum(text)) if f.check == "outcome-topic"]
    assert [(f.location, f.line) for f in findings] == [
        (f"Week 8, objective {order}", week8 + order) for order in (1, 2, 3, 4)
    ]
    assert "does not name the week's topic “Edge Caching”" in findings[0].message


def test_uneven_capstone_deliverables_are_reported():
    text = (
        _doc([("Alpha", ["Analyze"])])
        + "Capstone Projects\nProject 1: A\nDesc.\n- a\n- b\nProject 2: B\nDesc.\n- c\n- d\nProject 3: C\nDesc.\n- e\n"
    )
    findings = [f for f in lint_document(parse_curriculum(text)) if f.check == "structure"]
    assert [f.location for f in findings] == ["Capstone project 3"]
    assert "has 1 deliverables; the other projects have 2" in findings[0].message


def test_lint_of_the_imported_course_matches_the_document(course):
    findings = lint_course(course)
    assert [f.check for f in findings] == ["repeated-sentence"]
    assert findings[0].line is None  # the database has no line numbers


def test_lint_sees_admin_edits(course):
    objective = course.weeks.get(number=12).objectives.get(order=1)
    objective_update(objective=objective, verb="Recall", text="Recall the principles of Structured Logs.")
    assert objective.bloom_level.key == "remember"
    checks = {f.check for f in lint_course(course)}
    assert "bloom-progression" in checks


def test_lint_command_prints_findings_and_strict_fails(course, capsys):
    call_command("curriculum_lint")
    out = capsys.readouterr().out
    assert "[repeated-sentence] Introduction" in out
    assert "1 finding(s)" in out
    with pytest.raises(CommandError):
        call_command("curriculum_lint", "--strict")


def test_lint_command_on_a_file_names_lines(tmp_path, capsys, db):
    path = tmp_path / "c.txt"
    path.write_text(REAL_TEXT, encoding="utf-8")
    call_command("curriculum_lint", "--file", str(path))
    assert "line 4, Introduction" in capsys.readouterr().out


def test_lint_command_on_a_malformed_file_names_the_line(tmp_path, db):
    path = tmp_path / "bad.txt"
    path.write_text("Welcome to X!\n- early bullet\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"bad.txt:2: a bullet appears before any week"):
        call_command("curriculum_lint", "--file", str(path))


def test_lint_command_with_an_unknown_course_says_so(db):
    with pytest.raises(CommandError, match="There is no course “nope”"):
        call_command("curriculum_lint", "--course", "nope")
