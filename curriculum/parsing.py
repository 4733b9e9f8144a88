"""Parser for the customer's curriculum document format.

The format, as in curriculum/data/backend-engineering-scalable-architectures.txt:

    Welcome to <course title>! …            ← line 1: the title
    <introduction paragraphs>               ← until the weekly heading
    Detailed Weekly Curriculum
    <week title>                            ← a non-bullet line starts a week (1, 2, …)
    - <objective>                           ← 8 bullets: 4 outcomes, then 4 routines
    Capstone Projects
    Project <n>: <title>
    <description>
    - <deliverable>

Parsing is pure: text in, dataclasses out, and `CurriculumFormatError` naming the line
for anything it does not understand. Nothing here touches the database.
"""

import re
from dataclasses import dataclass, field

WEEKS_HEADING = "detailed weekly curriculum"
CAPSTONE_HEADING = "capstone projects"
_BULLET = re.compile(r"^\s*[-*•]\s+(?P<text>.+)$")
_PROJECT = re.compile(r"^Project\s+(?P<number>\d+)\s*[:.–-]\s*(?P<title>.+)$", re.IGNORECASE)
_WEEK_PREFIX = re.compile(r"^Week\s+\d+\s*[:.–-]\s*", re.IGNORECASE)
_WELCOME = re.compile(r"^Welcome to\s+(?P<title>.+?)\s*[!.]?[\W_]*$", re.IGNORECASE)


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
    deliverables: list[ParsedDeliverable] = field(default_factory=list)


@dataclass
class ParsedCourse:
    title: str
    introduction: str
    introduction_lines: list[int] = field(default_factory=list)  # source line of each paragraph
    weeks: list[ParsedWeek] = field(default_factory=list)
    projects: list[ParsedProject] = field(default_factory=list)


def leading_verb(text: str) -> str:
    match = re.match(r"[A-Za-z][A-Za-z-]*", text)
    return match.group(0).capitalize() if match else ""


def classify_objective(text: str, week_title: str) -> str:
    """An outcome names the week's topic ("Analyze the principles of <topic> …");
    a routine is one of the weekly habits that read the same every week."""
    return "outcome" if week_title.lower() in text.lower() else "routine"


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

    course = ParsedCourse(title=title, introduction="")
    intro_lines: list[tuple[int, str]] = []
    section = "introduction"
    week: ParsedWeek | None = None
    project: ParsedProject | None = None

    def close_week(at_line: int) -> None:
        if week is not None and not week.objectives:
            raise CurriculumFormatError(week.line, f"week {week.number} (“{week.title}”) has no objectives")

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
                close_week(number)
                if week is None:
                    raise CurriculumFormatError(number, "the capstone section starts before any week")
                section = "capstones"
            elif bullet:
                if week is None:
                    raise CurriculumFormatError(number, "a bullet appears before any week title")
                item = bullet.group("text").strip()
                week.objectives.append(
                    ParsedObjective(
                        order=len(week.objectives) + 1,
                        verb=leading_verb(item),
                        text=item,
                        kind=classify_objective(item, week.title),
                        line=number,
                    )
                )
            else:
                close_week(number)
                week = ParsedWeek(number=len(course.weeks) + 1, title=_WEEK_PREFIX.sub("", line).strip(), line=number)
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
        close_week(numbered[-1][0])
    if not course.weeks:
        raise CurriculumFormatError(numbered[-1][0], "the document defines no weeks")
    if project is not None and not project.deliverables:
        raise CurriculumFormatError(project.line, f"capstone project {project.number} has no deliverables")
    course.introduction = "\n\n".join(line for _, line in intro_lines)
    course.introduction_lines = [number for number, _ in intro_lines]
    return course
