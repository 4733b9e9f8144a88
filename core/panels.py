"""Panels: how an app higher in the layers shows its part on a page a lower app owns.

The workspace belongs to submissions and the scoring page to rubrics, but what is said
about the work (the mentor's request, comment threads, improve items) is owned by apps
above them. The page declares a slot; a higher app registers a provider for the slot in its
AppConfig.ready(); the page's view asks the slot for its panels once and the template
includes each panel where it belongs. The only upward reference is the registration, made
by the higher app, so the layers import-linter checks still hold.

A provider is called once per page with the slot's keyword arguments and returns a list of
Panel; it must do a fixed number of queries however many sections or threads there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Provider = Callable[..., Iterable["Panel"]]


@dataclass(frozen=True)
class Panel:
    """One piece of a page: a template included with `context` as its `panel` variable.

    `placement` says where it goes: "top" (before the page's own content) or a key the page
    names in its template (e.g. a section: "concept", "lab", "decision", "evidence").
    """

    template: str
    context: dict = field(default_factory=dict)
    placement: str = "top"
    order: int = 100


class PlacedPanels:
    """Panels grouped by placement; `panels.top` or `panels.lab` in a template gives the
    list for that place (empty when nothing was registered there)."""

    def __init__(self, panels: Iterable[Panel]) -> None:
        grouped: dict[str, list[Panel]] = defaultdict(list)
        for panel in sorted(panels, key=lambda panel: panel.order):
            grouped[panel.placement].append(panel)
        self._by_placement = dict(grouped)

    def __getitem__(self, placement: str) -> list[Panel]:
        return self._by_placement.get(placement, [])

    def __contains__(self, placement: str) -> bool:
        return placement in self._by_placement

    def __bool__(self) -> bool:
        return bool(self._by_placement)


class PanelSlot:
    """A named place on a page that higher apps may fill."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._providers: list[Provider] = []

    def register(self, provider: Provider) -> Provider:
        """Add a provider (usable as a decorator); registering the same one twice is a no-op,
        so a ready() that runs again (tests, reloads) does not show a panel twice."""
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def unregister(self, provider: Provider) -> None:
        if provider in self._providers:
            self._providers.remove(provider)

    def panels(self, **subject) -> PlacedPanels:
        return PlacedPanels(panel for provider in self._providers for panel in provider(**subject))

    def __repr__(self) -> str:
        return f"PanelSlot({self.name!r}, {len(self._providers)} provider(s))"
