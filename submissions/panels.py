"""The slots of the submissions pages that higher apps fill (see core/panels.py).

The workspace and a revision page belong to submissions, but what is said about the work
(the mentor's request, comment threads, previews) is owned by apps above it. Their providers
register here in their AppConfig.ready(); the views ask each slot once per page.

`WORKSPACE.panels(work=, user=, ws=)` (ws: the page's `selectors.Workspace`) and
`REVISION.panels(revision=, user=)`. A panel's placement is "top" or one of SECTION_KEYS, the
sections of the work as the templates mark them with `data-section="<key>"`.
"""

from core.panels import PanelSlot

WORKSPACE = PanelSlot("workspace")
REVISION = PanelSlot("revision")

SECTION_KEYS = (
    "deliverable",
    "concept",
    "lab",
    "decision",
    "dossier",
    "evidence",
    "risks",
    "retrospective",
    "note",
)
