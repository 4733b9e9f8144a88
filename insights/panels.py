"""The slot of the gradebook and heatmap pages that higher apps fill (see core/panels.py).

`GRADES.panels(cohort=, user=, manages=)` (manages: the user is an instructor of the
cohort or an admin, as cohorts.policies.can_manage_cohort says), asked once per page outside the cached grid (so what a
panel says is as fresh as the request): the LTI app says there what of the cohort's grades
went to the LMS and links its sync page. A provider does at most one query.
"""

from core.panels import PanelSlot

GRADES = PanelSlot("grades")
