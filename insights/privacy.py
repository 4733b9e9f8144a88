"""What insights holds about a person (see core.privacy): the at-risk rules' inputs kept for
them as a student of each cohort (AtRiskInputs).

They are facts about the person's own work (the weeks they submitted and reflected on, their
mentors' latest scores, revisions per week, open high risks), derived from rows that erasure
keeps under the pseudonym; so erasure keeps them too. Nothing in them is free text.
"""

from accounts.models import User
from core.privacy import DataProvider, ExportArchive

from .models import AtRiskInputs


def _export(user: User, archive: ExportArchive) -> None:
    archive.add_json(
        "insights.json",
        {
            "at_risk_inputs": [
                {
                    "cohort": row.cohort.name,
                    "weeks_submitted": row.submitted_weeks,
                    "latest_mentor_scores": row.scores,
                    "weeks_with_several_revisions": row.revisions,
                    "weeks_with_a_finished_retrospective": row.retrospective_weeks,
                    "open_high_risks_per_week": row.open_high_risks,
                }
                for row in AtRiskInputs.objects.filter(student=user).select_related("cohort").order_by("cohort_id")
            ]
        },
    )


PROVIDER = DataProvider(label="Insights", models=("insights.AtRiskInputs",), export=_export)
