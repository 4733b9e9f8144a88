"""Curriculum lint: findings an editor should look at before a cohort runs the course.

The checks work on the parser's dataclasses, so a document can be linted before it is
imported (`curriculum_lint --file`) and an edited course after (`course_as_document`).
"""

import re
from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch

from .models import BloomVerb, Course, Objective
from .parsing import ParsedCourse, ParsedDeliverable, ParsedObjective, ParsedProject, ParsedWeek, names_week_topic

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Finding:
    # "bloom-mapping", "bloom-override", "bloom-progression", "outcome-topic", "repeated-sentence", "structure"
    check: str
    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, {self.location}" if self.line else self.location
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class StoredLevel:
    """An objective's level as the database holds it (the lint of an imported course reads
    the levels the pages show, overrides included, not the mapping alone)."""

    rank: int | None
    name: str
    overridden: bool


def course_as_document(course: Course) -> ParsedCourse:
    """The course as it stands in the database, in the parser's shape (no line numbers)."""
    weeks = [
        ParsedWeek(
            number=week.number,
            title=week.title,
            line=0,
            objectives=[
                _with_level(ParsedObjective(order=o.order, verb=o.verb, text=o.text, kind=o.kind, line=0), o)
                for o in week.objectives.all()
            ],
        )
        for week in course.weeks.prefetch_related(
            Prefetch("objectives", queryset=Objective.objects.select_related("bloom_level").order_by("order"))
        ).order_by("number")
    ]
    projects = [
        ParsedProject(
            number=project.number,
            title=project.title,
            line=0,
            description=project.description,
            deliverables=[ParsedDeliverable(order=d.order, title=d.title, line=0) for d in project.deliverables.all()],
        )
        for project in course.capstone_projects.prefetch_related("deliverables").order_by("number")
    ]
    paragraphs = [p.strip() for p in course.introduction.split("\n") if p.strip()]
    return ParsedCourse(
        title=course.title, introduction="\n\n".join(paragraphs), introduction_lines=[], weeks=weeks, projects=projects
    )


def _with_level(parsed: ParsedObjective, objective) -> ParsedObjective:
    level = objective.bloom_level
    parsed.stored_level = StoredLevel(  # type: ignore[attr-defined]
        rank=level.rank if level else None,
        name=level.name if level else "",
        overridden=objective.bloom_level_overridden,
    )
    return parsed


def _stored(objective: ParsedObjective) -> StoredLevel | None:
    return getattr(objective, "stored_level", None)


def _rank(objective: ParsedObjective, verb_ranks: dict[str, int]) -> int | None:
    stored = _stored(objective)
    if stored is not None:
        return stored.rank
    return verb_ranks.get(objective.verb.lower())


def without_repeated_sentences(text: str) -> str:
    """The text with every sentence after its first appearance removed (the fix for the
    repeated-sentence finding). Paragraphs without a repeat are left exactly as they are."""
    seen: set[str] = set()
    pieces = re.split(r"(\n+)", text)
    for index in range(0, len(pieces), 2):
        sentences = _sentences(pieces[index])
        kept = []
        for sentence in sentences:
            if sentence.lower() not in seen:
                seen.add(sentence.lower())
                kept.append(sentence)
        if len(kept) != len(sentences):
            pieces[index] = " ".join(kept)
    fixed = "".join(pieces)
    return re.sub(r"\n{3,}", "\n\n", fixed).strip() if fixed != text else text


def lint_document(document: ParsedCourse, week_notes: dict[int, str] | None = None) -> list[Finding]:
    """All findings for a document. `week_notes` holds the editor's stated reason for a
    week that deliberately steps down in Bloom level; such a week is not reported."""
    verb_ranks = {verb: level.rank for verb, level in BloomVerb.objects.as_mapping().items()}
    level_names = {level.rank: level.name for level in BloomVerb.objects.as_mapping().values()}
    findings: list[Finding] = []
    findings += _unmapped_verbs(document, verb_ranks)
    findings += _overridden_levels(document, verb_ranks, level_names)
    findings += _bloom_progression(document, verb_ranks, level_names, week_notes or {})
    findings += _outcome_topics(document)
    findings += _repeated_sentences(document)
    findings += _structure(document)
    return findings


def lint_course(course: Course) -> list[Finding]:
    notes = {week.number: week.progression_note for week in course.weeks.exclude(progression_note="")}
    return lint_document(course_as_document(course), week_notes=notes)


def _line(item) -> int | None:
    return item.line or None


def _unmapped_verbs(document: ParsedCourse, verb_ranks: dict[str, int]) -> list[Finding]:
    return [
        Finding(
            "bloom-mapping",
            f"Week {week.number}, objective {objective.order}",
            f"the verb “{objective.verb}” has no Bloom level in the verb mapping; add it in the admin "
            "(Curriculum › Bloom verbs) so the objective gets a level",
            _line(objective),
        )
        for week in document.weeks
        for objective in week.objectives
        if objective.kind == "outcome"
        and objective.verb.lower() not in verb_ranks
        and not (_stored(objective) and _stored(objective).overridden)
    ]


def _overridden_levels(
    document: ParsedCourse, verb_ranks: dict[str, int], level_names: dict[int, str]
) -> list[Finding]:
    """Levels an admin set by hand: listed so that an override is a visible decision."""
    findings = []
    for week in document.weeks:
        for objective in week.objectives:
            stored = _stored(objective)
            if stored is None or not stored.overridden:
                continue
            mapped = verb_ranks.get(objective.verb.lower())
            follows = f"the verb “{objective.verb}” maps to {level_names[mapped]}" if mapped else "unmapped verb"
            findings.append(
                Finding(
                    "bloom-override",
                    f"Week {week.number}, objective {objective.order}",
                    f"level set by hand to {stored.name or 'none'} ({follows})",
                )
            )
    return findings


def _bloom_progression(
    document: ParsedCourse, verb_ranks: dict[str, int], level_names: dict[int, str], week_notes: dict[int, str]
) -> list[Finding]:
    findings = []
    floor_so_far = 0  # the highest "lowest level" any earlier week already held its learners to
    previous_mean: float | None = None
    for week in document.weeks:
        ranks = [rank for o in week.objectives if o.kind == "outcome" and (rank := _rank(o, verb_ranks)) is not None]
        if not ranks:
            continue
        lowest, mean = min(ranks), sum(ranks) / len(ranks)
        if week.number not in week_notes:
            if lowest < floor_so_far:
                findings.append(
                    Finding(
                        "bloom-progression",
                        f"Week {week.number}",
                        f"its lowest objective level ({level_names[lowest]}) falls below {level_names[floor_so_far]}, "
                        "which every objective of an earlier week already reached; raise it or record the reason "
                        "in the week's progression note",
                        _line(week),
                    )
                )
            elif previous_mean is not None and mean < previous_mean:
                findings.append(
                    Finding(
                        "bloom-progression",
                        f"Week {week.number}",
                        f"its average objective level ({mean:.2f}) falls below the previous week's "
                        f"({previous_mean:.2f}); raise it or record the reason in the week's progression note",
                        _line(week),
                    )
                )
        floor_so_far = max(floor_so_far, lowest)
        previous_mean = mean
    return findings


def _outcome_topics(document: ParsedCourse) -> list[Finding]:
    """The format's outcomes name their week's topic; one that does not was usually left
    behind when the week was renamed (it is still imported as an outcome, by position)."""
    return [
        Finding(
            "outcome-topic",
            f"Week {week.number}, objective {objective.order}",
            f"this outcome does not name the week's topic “{week.title}”; was the week renamed without it?",
            _line(objective),
        )
        for week in document.weeks
        for objective in week.objectives
        if objective.kind == "outcome" and not names_week_topic(objective.text, week.title)
    ]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _repeated_sentences(document: ParsedCourse) -> list[Finding]:
    blocks: list[tuple[str, str, int | None]] = []
    paragraphs = document.introduction.split("\n\n") if document.introduction else []
    for index, paragraph in enumerate(paragraphs):
        line = document.introduction_lines[index] if index < len(document.introduction_lines) else None
        blocks.append(("Introduction", paragraph, line))
    for project in document.projects:
        blocks.append((f"Capstone project {project.number} description", project.description, _line(project)))
    for week in document.weeks:
        for objective in week.objectives:
            blocks.append((f"Week {week.number}, objective {objective.order}", objective.text, _line(objective)))

    findings = []
    seen_in_intro: Counter[str] = Counter()
    for location, text, line in blocks:
        counts = Counter(s.lower() for s in _sentences(text))
        for sentence in _sentences(text):
            key = sentence.lower()
            if counts[key] > 1:
                findings.append(
                    Finding(
                        "repeated-sentence",
                        location,
                        f"the sentence “{sentence}” appears {counts[key]} times; keep it once",
                        line,
                    )
                )
                counts[key] = 0  # report each repeated sentence once per block
        if location == "Introduction":
            for key in {s.lower() for s in _sentences(text)}:
                seen_in_intro[key] += 1
    for sentence, count in seen_in_intro.items():
        if count > 1:
            findings.append(
                Finding(
                    "repeated-sentence",
                    "Introduction",
                    f"the sentence “{sentence}” appears in {count} paragraphs; keep it once",
                )
            )
    return findings


def _structure(document: ParsedCourse) -> list[Finding]:
    findings = []
    outcome_counts = Counter(sum(o.kind == "outcome" for o in w.objectives) for w in document.weeks)
    routine_counts = Counter(sum(o.kind == "routine" for o in w.objectives) for w in document.weeks)
    usual_outcomes = outcome_counts.most_common(1)[0][0] if outcome_counts else 0
    usual_routines = routine_counts.most_common(1)[0][0] if routine_counts else 0
    for week in document.weeks:
        outcomes = sum(o.kind == "outcome" for o in week.objectives)
        routines = len(week.objectives) - outcomes
        if outcomes != usual_outcomes or routines != usual_routines:
            findings.append(
                Finding(
                    "structure",
                    f"Week {week.number}",
                    f"has {outcomes} outcome objectives and {routines} routines; most weeks have "
                    f"{usual_outcomes} and {usual_routines}",
                    _line(week),
                )
            )
    titles = Counter(w.title.lower() for w in document.weeks)
    for week in document.weeks:
        if titles[week.title.lower()] > 1:
            findings.append(
                Finding(
                    "structure",
                    f"Week {week.number}",
                    f"the title “{week.title}” is used by more than one week",
                    _line(week),
                )
            )
    deliverable_counts = Counter(len(p.deliverables) for p in document.projects)
    if len(deliverable_counts) > 1:
        usual = deliverable_counts.most_common(1)[0][0]
        for project in document.projects:
            if len(project.deliverables) != usual:
                findings.append(
                    Finding(
                        "structure",
                        f"Capstone project {project.number}",
                        f"has {len(project.deliverables)} deliverables; the other projects have {usual}",
                        _line(project),
                    )
                )
    return findings
