"""Parser for the customer's curriculum document format.

The format, as in curriculum/data/backend-engineering-scalable-architectures.txt:

    Welcome to <course title>! …            ← line 1: the title
    <introduction paragraphs>               ← until the weekly heading
    Detailed Weekly Curriculum
    <week title>                            ← a week: its title line, then exactly
    - <objective>                             8 bullets: 4 outcome objectives, then 4 routines
    Capstone Projects
    Project <n>: <title>
    <description>
    - <deliverable>

Parsing is pure: text in, dataclasses out, and `CurriculumFormatError` naming the line
for anything it does not understand. The weekly structure is enforced rather than guessed:
a line that does not fit it (a stray heading, a ninth bullet, a missing one) fails the
parse instead of silently starting a new week and shifting every later week by one.
Nothing here touches the database.
"""

import re
from dataclasses import dataclass, field

WEEKS_HEADING = "detailed weekly curriculum"
CAPSTONE_HEADING = "capstone projects"
_BULLET = re.compile(r"^\s*[-*•]\s+(?P<text>.+)$")
_PROJECT = re.compile(r"^Project\s+(?P<number>\d+)\s*[:.–-]\s*(?P<title>.+)$", re.IGNORECASE)
_WEEK_PREFIX = re.compile(r"^Week\s+\d+\s*[:.–-]\s*", re.IGNORECASE)
_WELCOME = re.compile(r"^Welcome to\s+(?P<title>.+?)\s*[!.]?[\W_]*$", re.IGNORECASE)

OUTCOMES_PER_WEEK = 4
ROUTINES_PER_WEEK = 4
ITEMS_PER_WEEK = OUTCOMES_PER_WEEK + ROUTINES_PER_WEEK
TITLE_MAX_LENGTH = 200  # Week.title
_WEEK_SHAPE = f"{ITEMS_PER_WEEK} “- ” items ({OUTCOMES_PER_WEEK} outcome objectives, then {ROUTINES_PER_WEEK} routines)"
# Markup a title never carries: headings (#, ===, ---), tags (<h2>), tables, quotes, code.
_MARKUP = re.compile(r"^[#=<>|`{\[~+_]|<\/?[A-Za-z][^>]*>|={2,}|-{3,}|\*{2,}|#{2,}|[|`{}]")


class CurriculumFormatError(ValueError):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class ParsedObjective:
    order: int
    verb: str
    text: str
    kind: str  # "outcome" or "routine"
    line: int


@dataclass
class ParsedWeek:
    number: int
    title: str
    line: int
    objectives: list[ParsedObjective] = field(default_factory=list)


@dataclass
class ParsedDeliverable:
    order: int
    title: str
    line: int


@dataclass
class ParsedProject:
    number: int
    title: str
    line: int
    description: str = ""
    description_line: int = 0
    deliverables: list[ParsedDeliverable] = field(default_factory=list)


@dataclass
class ParsedCourse:
    title: str
    introduction: str
    title_line: int = 1
    introduction_lines: list[int] = field(default_factory=list)  # source line of each paragraph
    weeks: list[ParsedWeek] = field(default_factory=list)
    projects: list[ParsedProject] = field(default_factory=list)


def leading_verb(text: str) -> str:
    match = re.match(r"[A-Za-z][A-Za-z-]*", text)
    return match.group(0).capitalize() if match else ""


def classify_objective(order: int) -> str:
    """By position, as the format defines it: a week's first four items are its outcome
    objectives, the last four its routines (the weekly habits that read the same every week).
    Not by content: renaming a week must not turn its outcomes into routines."""
    return "outcome" if order <= OUTCOMES_PER_WEEK else "routine"


def names_week_topic(text: str, week_title: str) -> bool:
    """Whether an outcome names its week's topic, as the format's outcomes do (lint checks this)."""
    return week_title.strip().lower() in text.lower()


def _title_problem(line: str) -> str | None:
    """Why a non-bullet line in the weekly section cannot be a week title, or None."""
    if _MARKUP.search(line):
        return "it looks like markup (a heading, tag, table or code), not a week title"
    if sum(character.isalpha() for character in line) < 2:
        return "it has no words"
    if len(line) > TITLE_MAX_LENGTH:
        return f"it is {len(line)} characters long; a week title has at most {TITLE_MAX_LENGTH}"
    return None


def _quote(line: str) -> str:
    return f"“{line[:80]}{'…' if len(line) > 80 else ''}”"


def parse_curriculum(text: str) -> ParsedCourse:
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise CurriculumFormatError(1, "the file is binary, not a text document")
    numbered = [(number, raw.strip()) for number, raw in enumerate(text.splitlines(), start=1)]
    content = [(number, line) for number, line in numbered if line]
    if not content:
        raise CurriculumFormatError(1, "the document is empty")

    first_line, title_line = content[0]
    welcome = _WELCOME.match(title_line)
    title = (welcome.group("title") if welcome else title_line).strip()
    if _BULLET.match(title_line) or not title:
        raise CurriculumFormatError(first_line, "expected the course title (“Welcome to <title>!”) on the first line")

    course = ParsedCourse(title=title, introduction="", title_line=first_line)
    intro_lines: list[tuple[int, str]] = []
    section = "introduction"
    week: ParsedWeek | None = None
    project: ParsedProject | None = None

    def close_week(at_line: int, found: str) -> None:
        """The week ends at `at_line`, where `found` is; it must have all its items."""
        if week is not None and len(week.objectives) != ITEMS_PER_WEEK:
            raise CurriculumFormatError(
                at_line,
                f"week {week.number} (“{week.title}”, line {week.line}) has {len(week.objectives)} of its "
                f"{ITEMS_PER_WEEK} items: expected {_WEEK_SHAPE} after the week title, "
                f"found {found} where item {len(week.objectives) + 1} should be",
            )

    for number, line in content[1:]:
        bullet = _BULLET.match(line)
        lowered = line.lower().rstrip(":")
        if section == "introduction":
            if lowered == WEEKS_HEADING:
                section = "weeks"
            elif bullet:
                raise CurriculumFormatError(
                    number, "a bullet appears before any week (expected the “Detailed Weekly Curriculum” heading first)"
                )
            else:
                intro_lines.append((number, line))
        elif section == "weeks":
            if lowered == CAPSTONE_HEADING:
                if week is None:
                    raise CurriculumFormatError(number, "the capstone section starts before any week")
                close_week(number, "the “Capstone Projects” heading")
                section = "capstones"
            elif bullet:
                if week is None:
                    raise CurriculumFormatError(
                        number, f"a bullet appears before any week title (expected a week title, found {_quote(line)})"
                    )
                if len(week.objectives) == ITEMS_PER_WEEK:
                    raise CurriculumFormatError(
                        number,
                        f"week {week.number} (“{week.title}”, line {week.line}) already has its {_WEEK_SHAPE}; "
                        f"expected the next week's title or “Capstone Projects”, found a further item {_quote(line)}",
                    )
                item = bullet.group("text").strip()
                order = len(week.objectives) + 1
                week.objectives.append(
                    ParsedObjective(
                        order=order, verb=leading_verb(item), text=item, kind=classify_objective(order), line=number
                    )
                )
            else:
                close_week(number, _quote(line))
                title = _WEEK_PREFIX.sub("", line).strip()
                problem = _title_problem(title)
                if problem:
                    raise CurriculumFormatError(
                        number,
                        f"expected the title of week {len(course.weeks) + 1} or “Capstone Projects”, "
                        f"found {_quote(line)}: {problem}",
                    )
                week = ParsedWeek(number=len(course.weeks) + 1, title=title, line=number)
                course.weeks.append(week)
        else:  # capstones
            project_match = _PROJECT.match(line)
            if project_match:
                if project is not None and not project.deliverables:
                    raise CurriculumFormatError(project.line, f"capstone project {project.number} has no deliverables")
                expected = len(course.projects) + 1
                if int(project_match.group("number")) != expected:
                    raise CurriculumFormatError(number, f"expected “Project {expected}: …” but found “{line}”")
                project = ParsedProject(number=expected, title=project_match.group("title").strip(), line=number)
                course.projects.append(project)
            elif bullet:
                if project is None:
                    raise CurriculumFormatError(number, "a deliverable appears before any “Project <n>: <title>” line")
                project.deliverables.append(
                    ParsedDeliverable(
                        order=len(project.deliverables) + 1, title=bullet.group("text").strip(), line=number
                    )
                )
            elif project is not None and not project.deliverables:
                project.description_line = project.description_line or number
                project.description = f"{project.description} {line}".strip()
            else:
                raise CurriculumFormatError(
                    number,
                    "unexpected line in the capstone section (expected “Project <n>: <title>” or a “- ” "
                    f"deliverable): “{line[:80]}”",
                )

    if section == "introduction":
        raise CurriculumFormatError(numbered[-1][0], "no “Detailed Weekly Curriculum” heading was found")
    if section == "weeks":
        close_week(numbered[-1][0], "the end of the document")
    if not course.weeks:
        raise CurriculumFormatError(numbered[-1][0], "the document defines no weeks")
    if project is not None and not project.deliverables:
        raise CurriculumFormatError(project.line, f"capstone project {project.number} has no deliverables")
    course.introduction = "\n\n".join(line for _, line in intro_lines)
    course.introduction_lines = [number for number, _ in intro_lines]
    return course
