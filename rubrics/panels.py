"""The slots of the review pages that apps above rubrics fill (core/panels.py says how).

Both are called once per page with `revision=<Revision>, user=<User>`. Placement keys: the
section of the revision shown (`deliverable`, `concept`, `lab`, `decision`, `dossier`,
`evidence`, `risks`, `retrospective`, `note`), plus `top` (before the revision) and `rubric`
(beside the rubric form). The rendered revision marks each section's container with
`data-section="<key>"` and each evidence item with `data-artifact="<artifact id>"`.
"""

from core.panels import PanelSlot

SCORING = PanelSlot("scoring")
PEER_REVIEW = PanelSlot("peer_review")
