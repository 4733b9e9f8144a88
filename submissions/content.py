"""The shape of a work's sections, and how a revision snapshot reads and compares.

A draft (`WeeklyWork.content`) is one JSON document:

    concept:   {text, objective_ids}            concept analysis linked to outcome objectives
    lab:       {text, gates: {gate_id: {status, note}}}
    decision:  {options, tradeoffs, risks, decision_points, decision, rationale}
    dossier:   {criteria: [{criterion, metric, target, measured}], next_actions}
    deliverable: {text}                        capstone deliverables only
    revision_note: str

A revision snapshot adds what was true at submission: `target`, gate and objective texts,
`retrospective`, `risks` and `artifacts`, so it stays readable if the curriculum changes.
"""

import bisect
import difflib
import re
from dataclasses import dataclass, field

GATE_STATUSES = [("not_run", "Not run"), ("passed", "Passed"), ("failed", "Failed")]
DECISION_FIELDS = [
    ("options", "Options considered"),
    ("tradeoffs", "Trade-offs"),
    ("risks", "Risks"),
    ("decision_points", "Decision points"),
    ("decision", "Decision"),
    ("rationale", "Rationale for stakeholder review"),
]
RETRO_FIELDS = [("retain", "Retain"), ("improve", "Improve"), ("scale", "Scale")]
CRITERION_FIELDS = ["criterion", "metric", "target", "measured"]


def empty_content() -> dict:
    return {
        "concept": {"text": "", "objective_ids": []},
        "lab": {"text": "", "gates": {}},
        "decision": {key: "" for key, _ in DECISION_FIELDS},
        "dossier": {"criteria": [], "next_actions": ""},
        "deliverable": {"text": ""},
        "revision_note": "",
    }


def normalised(content: dict | None) -> dict:
    """The content with every section present (old or partial documents read safely)."""
    result = empty_content()
    for key, value in (content or {}).items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key] = {**result[key], **value}
        else:
            result[key] = value
    return result


def _gate_text(status: str, note: str) -> str:
    label = dict(GATE_STATUSES).get(status, status)
    return f"{label}" + (f" — {note}" if note else "")


def flatten(snapshot: dict) -> list[tuple[str, str]]:
    """Ordered (section title, plain text) pairs: what a reader compares between revisions."""
    c = normalised(snapshot)
    parts: list[tuple[str, str]] = []
    if c.get("deliverable", {}).get("text") or snapshot.get("is_capstone"):
        parts.append((snapshot.get("deliverable_title") or "Deliverable", c["deliverable"]["text"]))
    objective_texts = snapshot.get("objective_texts", {})
    linked = "\n".join(f"- {objective_texts.get(str(i), f'Objective {i}')}" for i in c["concept"]["objective_ids"])
    parts.append(("Concept analysis", c["concept"]["text"] + (f"\n\nLinked objectives:\n{linked}" if linked else "")))
    gate_texts = snapshot.get("gate_texts", {})
    gates = "\n".join(
        f"{gate_texts.get(gid, 'Gate ' + gid)}: {_gate_text(g.get('status', 'not_run'), g.get('note', ''))}"
        for gid, g in sorted(c["lab"]["gates"].items(), key=lambda item: int(item[0]) if item[0].isdigit() else 0)
    )
    parts.append(("Lab report", c["lab"]["text"] + (f"\n\nQuality gates:\n{gates}" if gates else "")))
    for key, title in DECISION_FIELDS:
        parts.append((f"Decision record: {title}", c["decision"].get(key, "")))
    criteria = "\n".join(" | ".join(str(row.get(k, "")) for k in CRITERION_FIELDS) for row in c["dossier"]["criteria"])
    parts.append(("Success criteria (criterion | metric | target | measured)", criteria))
    parts.append(("Next actions", c["dossier"]["next_actions"]))
    retro = snapshot.get("retrospective") or {}
    for key, title in RETRO_FIELDS:
        if retro or not snapshot.get("is_capstone"):
            parts.append((f"Retrospective: {title}", retro.get(key, "")))
    risks = "\n".join(
        f"[{r.get('kind')}/{r.get('severity')}/{r.get('status')}] {r.get('title')}" for r in snapshot.get("risks", [])
    )
    parts.append(("Defect and risk log", risks))
    parts.append(("Revision note", c.get("revision_note", "")))
    return parts


# --- Diff -------------------------------------------------------------------------------

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass
class SectionDiff:
    title: str
    changed: bool
    inline: list[tuple[str, str]] = field(default_factory=list)  # (op, text), op in equal/insert/delete
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, left line, right line)


@dataclass
class RevisionDiff:
    sections: list[SectionDiff]
    artifacts_added: list[dict]
    artifacts_removed: list[dict]

    @property
    def changed_count(self) -> int:
        return sum(1 for s in self.sections if s.changed)


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level differences; the template escapes every piece."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("delete", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("insert", "".join(b[j1:j2])))
    return out


def side_by_side(old: str, new: str) -> list[tuple[str, str, str]]:
    """Line pairs for a two-column view: (tag, left, right)."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append((tag, left[k] if k < len(left) else "", right[k] if k < len(right) else ""))
    return rows


def diff_snapshots(old: dict, new: dict) -> RevisionDiff:
    old_parts, new_parts = dict(flatten(old)), flatten(new)
    titles = [t for t, _ in new_parts] + [t for t in old_parts if t not in dict(new_parts)]
    new_map = dict(new_parts)
    sections = []
    for title in titles:
        a, b = old_parts.get(title, ""), new_map.get(title, "")
        sections.append(SectionDiff(title=title, changed=a != b, inline=inline_diff(a, b), rows=side_by_side(a, b)))
    old_artifacts = {x["id"]: x for x in old.get("artifacts", [])}
    new_artifacts = {x["id"]: x for x in new.get("artifacts", [])}
    return RevisionDiff(
        sections=sections,
        artifacts_added=[v for k, v in new_artifacts.items() if k not in old_artifacts],
        artifacts_removed=[v for k, v in old_artifacts.items() if k not in new_artifacts],
    )


def readable(snapshot: dict) -> dict:
    """A snapshot arranged for the template that shows it (revision page, read-only work)."""
    c = normalised(snapshot)
    objective_texts = snapshot.get("objective_texts", {})
    gate_texts = snapshot.get("gate_texts", {})
    status_labels = dict(GATE_STATUSES)
    gates = []
    for gid, text in gate_texts.items():
        saved = c["lab"]["gates"].get(gid, {})
        status = saved.get("status", "not_run")
        gates.append(
            {"text": text, "status": status, "label": status_labels.get(status, status), "note": saved.get("note", "")}
        )
    retro = snapshot.get("retrospective")
    return {
        "target": snapshot.get("target", ""),
        "is_capstone": bool(snapshot.get("is_capstone")),
        "deliverable_title": snapshot.get("deliverable_title", ""),
        "deliverable_text": c["deliverable"]["text"],
        "concept_text": c["concept"]["text"],
        "linked_objectives": [objective_texts.get(str(i), f"Objective {i}") for i in c["concept"]["objective_ids"]],
        "lab_text": c["lab"]["text"],
        "gates": gates,
        "decision": [(label, c["decision"].get(key, "")) for key, label in DECISION_FIELDS],
        "criteria": c["dossier"]["criteria"],
        "next_actions": c["dossier"]["next_actions"],
        "retrospective": [(label, retro.get(key, "")) for key, label in RETRO_FIELDS] if retro is not None else None,
        "risks": snapshot.get("risks"),
        "artifacts": snapshot.get("artifacts", []),
        "revision_note": c.get("revision_note", ""),
    }


@dataclass(frozen=True)
class SpanInNewText:
    """Where a span of an old text stands in a new one, by the same word diff as inline_diff.

    `kept`: every word of the span is unchanged and still in one piece (it may have moved
    with the text around it); then new[start:end] equals the old span. Otherwise start/end
    bound what now stands where the span was (empty when it was deleted)."""

    start: int
    end: int
    kept: bool


def span_in_new_text(old: str, new: str, start: int, end: int) -> SpanInNewText:
    """Follow old[start:end] into `new` (other apps re-anchor comments with this)."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    a_at = [0]
    for token in a:
        a_at.append(a_at[-1] + len(token))
    b_at = [0]
    for token in b:
        b_at.append(b_at[-1] + len(token))
    if not a or start >= end:
        return SpanInNewText(0, 0, False)
    first = max(0, bisect.bisect_right(a_at, start) - 1)
    last = max(first, bisect.bisect_left(a_at, end) - 1)  # the token holding end - 1
    opcodes = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()

    def opcode_of(index: int):
        for op in opcodes:
            if op[1] <= index < op[2]:
                return op
        return opcodes[-1]

    mapped: list[int | None] = []
    for index in range(first, last + 1):
        tag, i1, _i2, j1, _j2 = opcode_of(index)
        mapped.append(j1 + (index - i1) if tag == "equal" else None)
    if all(j is not None for j in mapped) and all(y == x + 1 for x, y in zip(mapped, mapped[1:], strict=False)):
        new_start = b_at[mapped[0]] + (start - a_at[first])
        new_end = b_at[mapped[-1]] + (end - a_at[last])
        if new[new_start:new_end] == old[start:end]:
            return SpanInNewText(new_start, new_end, True)
    tag, i1, _i2, j1, _j2 = opcode_of(first)
    from_token = j1 + (first - i1) if tag == "equal" else j1
    tag, i1, _i2, j1, j2 = opcode_of(last)
    to_token = j1 + (last - i1) + 1 if tag == "equal" else j2
    new_start, new_end = b_at[min(from_token, len(b))], b_at[min(max(to_token, from_token), len(b))]
    return SpanInNewText(new_start, new_end, False)
