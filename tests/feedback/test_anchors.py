"""Anchors: a selection found in the markdown source, and followed into the next revision
(text kept, moved, changed, deleted)."""

from feedback.anchors import find_quote, plain, reanchor

SOURCE = (
    "## Request path\n\nThe **ORM** dominates the p95: [N+1 queries](https://example.com/x) on the list.\n\n"
    "- Add a covering index\n- Cache the *hot* rows\n\nThe ORM dominates again later."
)


def content(text: str, rationale: str = "") -> dict:
    return {"concept": {"text": text}, "decision": {"rationale": rationale, "options": "Index or cache."}}


def test_the_rendered_selection_is_found_in_the_markdown_source():
    found = find_quote(content(SOURCE), "concept", "The ORM dominates the p95: N+1 queries on the list.")
    assert found is not None
    assert found.field == "concept.text"
    assert SOURCE[found.start : found.end] == found.quote
    assert found.quote.startswith("The **ORM** dominates") and found.quote.endswith("on the list.")


def test_a_selection_across_list_items_and_line_breaks_is_found():
    found = find_quote(content(SOURCE), "concept", "covering index\nCache the hot")
    assert found is not None
    assert found.quote == "covering index\n- Cache the *hot"


def test_the_context_chooses_between_two_occurrences():
    first = find_quote(content(SOURCE), "concept", "ORM dominates", prefix="path\nThe ", suffix=" the p95")
    second = find_quote(content(SOURCE), "concept", "ORM dominates", prefix="rows\nThe ", suffix=" again later")
    assert first.start < second.start
    assert SOURCE[second.start :].startswith("ORM dominates again")


def test_text_that_is_not_in_the_section_is_not_found():
    assert find_quote(content(SOURCE), "concept", "We rewrote it in Rust") is None
    assert find_quote(content(SOURCE), "lab", "ORM dominates") is None
    assert find_quote(content(SOURCE), "concept", "   ") is None


def test_a_quote_in_another_field_of_the_section_is_found_there():
    found = find_quote(content(SOURCE, rationale="Cheapest *fix* first."), "decision", "Cheapest fix")
    assert found.field == "decision.rationale"
    assert found.quote == "Cheapest *fix"


def _follow(old_text: str, new_text: str, selected: str):
    found = find_quote(content(old_text), "concept", selected)
    return reanchor(
        old_content=content(old_text),
        new_content=content(new_text),
        section="concept",
        field=found.field,
        start=found.start,
        end=found.end,
        prefix=found.prefix,
        suffix=found.suffix,
    )


def test_kept_text_re_anchors_at_its_new_offsets():
    old = "Intro.\n\nThe cache hides the slow query.\n\nEnd."
    new = "A new first paragraph, longer.\n\nIntro.\n\nThe cache hides the slow query.\n\nEnd, revised."
    moved = _follow(old, new, "The cache hides the slow query.")
    assert moved.state == "anchored"
    assert new[moved.start : moved.end] == "The cache hides the slow query."


def test_moved_text_is_found_where_it_went():
    old = "First point: the cache hides the slow query.\n\nSecond point: the index is missing.\n\nThird."
    new = "Second point: the index is missing.\n\nThird.\n\nFirst point: the cache hides the slow query."
    moved = _follow(old, new, "the cache hides the slow query")
    assert moved.state in ("anchored", "moved")
    assert new[moved.start : moved.end] == "the cache hides the slow query"


def test_text_moved_far_away_among_new_text_is_marked_moved():
    old = "Alpha beta gamma delta.\n\nThe retry storm doubles the load.\n\nEpsilon zeta."
    new = "The retry storm doubles the load.\n\n" + "Completely new material here. " * 20 + "\n\nEpsilon zeta."
    moved = _follow(old, new, "The retry storm doubles the load.")
    assert moved.state in ("anchored", "moved")
    assert new[moved.start : moved.end] == "The retry storm doubles the load."


def test_changed_text_is_outdated_with_the_old_quote_kept():
    old = "We chose Redis because it is fast.\n\nOther text."
    new = "We chose PostgreSQL because it is durable.\n\nOther text."
    moved = _follow(old, new, "We chose Redis because it is fast.")
    assert moved.state == "outdated"
    assert moved.quote == "We chose Redis because it is fast."
    assert "PostgreSQL" in moved.current_text


def test_deleted_text_is_outdated_with_nothing_in_its_place():
    old = "Keep this.\n\nDrop this sentence entirely.\n\nKeep that."
    new = "Keep this.\n\nKeep that."
    moved = _follow(old, new, "Drop this sentence entirely.")
    assert moved.state == "outdated"
    assert moved.quote == "Drop this sentence entirely."
    assert not any(word in moved.current_text for word in ("Drop", "sentence", "entirely"))


def test_plain_maps_every_character_back_to_the_source():
    text, positions = plain("a **b**  c")
    assert text == "a b c"
    assert [("a **b**  c")[p] for p in positions] == ["a", " ", "b", " ", "c"]
