"""The slot of the gradebook and heatmap pages that higher apps fill (see core/panels.py).

`GRADES.panels(cohort=, user=, manages=)` (manages: the user is an instructor of the
cohort or an admin, as cohorts.policies.can_manage_cohort says), asked once when a page is made
outside the cached grid: the LTI app says there what of the cohort's grades went to the LMS and
links its sync page. A provider does at most one query. The pages are kept whole by
core.pagecache, so a provider registers a `key`: what its panels depend on, read without a
query, asked as `GRADES.key_parts(cohort_id=)` (the cohort's id alone: a repeat is answered
before its row is read, courseplatform/fast_path.py), which goes into the page's key; a
provider without one keeps the pages from being kept whole.
"""

from core.panels import PanelSlot

GRADES = PanelSlot("grades")
