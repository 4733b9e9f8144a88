"""Anchors: finding what a reviewer selected in the stored markdown, and following it into
the next revision.

The browser sends the text as rendered (no markdown syntax, whitespace as the page laid it
out) with a little context before and after. Both sides are compared in a "plain" form: the
markdown punctuation, link targets, tags and list or heading markers are dropped and every
run of whitespace is one space, with a map back to positions in the source. What is stored
is the source's own text and offsets, never a position in the page.

Re-anchoring uses the revision diff's owner (submissions.content.span_in_new_text): a
quote whose words are all unchanged follows its text; otherwise the exact quote is looked
for elsewhere in the section (moved); otherwise the anchor is outdated and keeps the old
quote, with what now stands there for the mentor's diff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from submissions.content import DECISION_FIELDS, RETRO_FIELDS, span_in_new_text

CONTEXT_CHARS = 32

# The source fields of each section a quote may come from, in page order.
SECTION_FIELDS: dict[str, list[str]] = {
    "deliverable": ["deliverable.text"],
    "concept": ["concept.text"],
    "lab": ["lab.text"],
    "decision": [f"decision.{key}" for key, _ in DECISION_FIELDS],
    "dossier": ["dossier.next_actions"],
    "retrospective": [f"retrospective.{key}" for key, _ in RETRO_FIELDS],
    "note": ["revision_note"],
}

_MARKUP = re.compile(
    r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"  # a link's target: the page shows only its text
    r"|<[^>\n]+>"  # tags (the sanitiser drops most of them anyway)
    r"|^[ \t]*(?:[-+*]|\d+[.)])[ \t]+"  # list markers
    r"|^[ \t]*#{1,6}[ \t]+"  # heading markers
    r"|^[ \t]*>[ \t]?"  # quote markers
    r"|[*_`~\[\]#|\\]",  # emphasis, code, brackets, table pipes, escapes
    re.MULTILINE,
)


def source_of(content: dict, field: str) -> str:
    """The markdown stored at a content path ("decision.rationale") of a revision snapshot."""
    value = content or {}
    for part in field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""


def plain(text: str) -> tuple[str, list[int]]:
    """The text as a reader sees it, and for each of its characters the source position."""
    skipped = bytearray(len(text))
    for match in _MARKUP.finditer(text):
        skipped[match.start() : match.end()] = b"\x01" * (match.end() - match.start())
    chars: list[str] = []
    positions: list[int] = []
    after_space = True
    for index, char in enumerate(text):
        if skipped[index]:
            continue
        if char.isspace():
            if after_space:
                continue
            char, after_space = " ", True
        else:
            after_space = False
        chars.append(char)
        positions.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        positions.pop()
    return "".join(chars), positions


def _common_suffix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _best_occurrence(haystack: str, needle: str, prefix: str, suffix: str) -> int | None:
    """The occurrence of `needle` whose surroundings best match the context (the first on a tie)."""
    found = []
    at = haystack.find(needle)
    while at != -1:
        found.append(at)
        at = haystack.find(needle, at + 1)
    if not found:
        return None
    if len(found) == 1:
        return found[0]

    def score(at: int) -> int:
        before = haystack[:at].rstrip()
        after = haystack[at + len(needle) :].lstrip()
        return _common_suffix(before, prefix.rstrip()) + _common_prefix(after, suffix.lstrip())

    return max(found, key=lambda at: (score(at), -at))


@dataclass(frozen=True)
class Found:
    field: str
    start: int
    end: int
    quote: str
    prefix: str
    suffix: str


def _found(field: str, source: str, start: int, end: int) -> Found:
    return Found(
        field=field,
        start=start,
        end=end,
        quote=source[start:end],
        prefix=source[max(0, start - CONTEXT_CHARS) : start],
        suffix=source[end : end + CONTEXT_CHARS],
    )


def find_quote(content: dict, section: str, quote: str, prefix: str = "", suffix: str = "") -> Found | None:
    """Where the selected (rendered) text stands in the section's markdown source; None when
    it is in none of the section's fields."""
    wanted = plain(quote)[0].strip()
    if not wanted:
        return None
    context_before, context_after = plain(prefix)[0], plain(suffix)[0]
    best: tuple[int, Found] | None = None
    for field in SECTION_FIELDS.get(section, []):
        source = source_of(content, field)
        text, positions = plain(source)
        at = _best_occurrence(text, wanted, context_before, context_after)
        if at is None:
            continue
        before = text[:at].rstrip()
        after = text[at + len(wanted) :].lstrip()
        fit = _common_suffix(before, context_before.rstrip()) + _common_prefix(after, context_after.lstrip())
        candidate = _found(field, source, positions[at], positions[at + len(wanted) - 1] + 1)
        if best is None or fit > best[0]:
            best = (fit, candidate)
    return best[1] if best else None


@dataclass(frozen=True)
class Reanchored:
    state: str  # "anchored", "moved" or "outdated" (Anchor.State values)
    field: str
    start: int | None
    end: int | None
    quote: str
    prefix: str
    suffix: str
    current_text: str = ""


def reanchor(
    *, old_content: dict, new_content: dict, section: str, field: str, start: int, end: int, prefix: str, suffix: str
) -> Reanchored:
    """Follow a quote from one revision's content into the next one's."""
    old_source = source_of(old_content, field)
    new_source = source_of(new_content, field)
    quote = old_source[start:end]
    span = span_in_new_text(old_source, new_source, start, end)
    if span.kept and quote:
        found = _found(field, new_source, span.start, span.end)
        return Reanchored("anchored", field, found.start, found.end, found.quote, found.prefix, found.suffix)
    # Moved: the same words elsewhere in the section (another field of it too).
    if quote.strip():
        for candidate in [field] + [f for f in SECTION_FIELDS.get(section, []) if f != field]:
            source = source_of(new_content, candidate)
            at = _best_occurrence(source, quote, prefix, suffix)
            if at is not None:
                found = _found(candidate, source, at, at + len(quote))
                return Reanchored("moved", candidate, found.start, found.end, found.quote, found.prefix, found.suffix)
    return Reanchored(
        "outdated",
        field,
        span.start,
        span.end,
        quote,
        prefix,
        suffix,
        current_text=new_source[span.start : span.end],
    )
