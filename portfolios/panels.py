"""The slots of the portfolio pages that higher apps fill (see core/panels.py).

`PUBLIC_ENTRIES.panels(portfolio=, entries=)` on the public page (and the exports, which render
the same template) and `EDITOR_ENTRIES.panels(portfolio=, entries=, user=)` in the learner's
editor. A panel's placement is `entry-<id>`: the view hands each entry its own list as
`entry.panels`. The public page is cached per portfolio version, so a provider whose panel
changes must have the version raised (portfolios.services.portfolio_page_changed).
"""

from core.panels import PanelSlot

PUBLIC_ENTRIES = PanelSlot("portfolio-public-entries")
EDITOR_ENTRIES = PanelSlot("portfolio-editor-entries")


def placement_for(entry) -> str:
    return f"entry-{entry.pk}"


def attach(placed, entries) -> None:
    """Give each entry the panels placed for it (`entry.panels` in the templates)."""
    for entry in entries:
        entry.panels = placed[placement_for(entry)]
