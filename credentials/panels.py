"""The credentials on the portfolio pages (slots declared by portfolios/panels.py): one query
per page, whatever the number of entries."""

from __future__ import annotations

from django.urls import reverse

from core.panels import Panel
from portfolios.panels import placement_for

from .selectors import active_by_entry


def credentials_on_public_page(*, portfolio, entries, **_) -> list[Panel]:
    """Each published entry with a credential in force: its page, the verify link."""
    found = active_by_entry(e.pk for e in entries)
    return [
        Panel(
            template="credentials/_public_panel.html",
            context={
                "credential": found[entry.pk],
                "href": reverse("credentials:detail", kwargs={"pk": found[entry.pk].pk}),
                "verify": reverse("credentials:verify") + f"?credential={found[entry.pk].pk}",
            },
            placement=placement_for(entry),
        )
        for entry in entries
        if entry.pk in found
    ]


def credentials_in_editor(*, portfolio, entries, user, **_) -> list[Panel]:
    """In the learner's editor: the credential of each published entry, or the claim button."""
    found = active_by_entry(e.pk for e in entries if e.is_published)
    claimable = portfolio is not None and portfolio.is_world_visible
    return [
        Panel(
            template="credentials/_editor_panel.html",
            context={"entry": entry, "credential": found.get(entry.pk), "claimable": claimable},
            placement=placement_for(entry),
        )
        for entry in entries
        if entry.is_published
    ]
