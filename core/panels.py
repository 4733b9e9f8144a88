"""Panels: how an app higher in the layers shows its part on a page a lower app owns.

The workspace belongs to submissions and the scoring page to rubrics, but what is said
about the work (the mentor's request, comment threads, improve items) is owned by apps
above them. The page declares a slot; a higher app registers a provider for the slot in its
AppConfig.ready(); the page's view asks the slot for its panels once and the template
includes each panel where it belongs. The only upward reference is the registration, made
by the higher app, so the layers import-linter checks still hold.

A provider is called once per page with the slot's keyword arguments and returns a list of
Panel; it must do a fixed number of queries however many sections or threads there are.

A page kept whole in the cache (core/pagecache.py) shows its panels as they were when it was
made, so it must know when they change. A provider registered with `key` says it: a function
answering a value that changes whenever its panels would (a version its app bumps), read
without a query on every request; the slot's `key_parts` gathers them into the page's key. Its
keyword arguments are the ones the slot's documentation names for keys (the subject's ids, which
a page answered before its rows are read knows; insights.panels.GRADES: `cohort_id`). A slot
with a provider that gave no `key` answers None: such a page asks its panels on every request
and is not kept whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

Provider = Callable[..., Iterable["Panel"]]
KeyPart = Callable[..., object]


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
        self._keys: dict[Provider, KeyPart] = {}

    def register(self, provider: Provider, *, key: KeyPart | None = None) -> Provider:
        """Add a provider (usable as a decorator); registering the same one twice is a no-op,
        so a ready() that runs again (tests, reloads) does not show a panel twice. `key`: what
        its panels depend on, for pages cached whole (see the module docstring)."""
        if provider not in self._providers:
            self._providers.append(provider)
        if key is not None:
            self._keys[provider] = key
        return provider

    def unregister(self, provider: Provider) -> None:
        if provider in self._providers:
            self._providers.remove(provider)
        self._keys.pop(provider, None)

    def key_parts(self, **subject) -> tuple | None:
        """What every provider's panels for this subject depend on, in registration order, for
        the key of a page cached whole; None when a provider did not say (the page must then
        ask for its panels on every request)."""
        parts = []
        for provider in self._providers:
            key = self._keys.get(provider)
            if key is None:
                return None
            parts.append((f"{provider.__module__}.{provider.__qualname__}", key(**subject)))
        return tuple(parts)

    def panels(self, **subject) -> PlacedPanels:
        return PlacedPanels(panel for provider in self._providers for panel in provider(**subject))

    def __repr__(self) -> str:
        return f"PanelSlot({self.name!r}, {len(self._providers)} provider(s))"
