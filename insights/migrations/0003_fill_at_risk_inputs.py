"""Fill the stored at-risk inputs of every existing cohort's students (from then on the write
path keeps them). The refresh of today's code is used: it reads through the owners' querysets,
so it must run against the schema of this point in history, which it does as long as this
migration is applied before later ones change those tables."""

from django.db import migrations


def fill(apps, schema_editor) -> None:
    from insights.services import at_risk_inputs_refresh

    Cohort = apps.get_model("cohorts", "Cohort")
    for cohort_id in Cohort.objects.order_by("pk").values_list("pk", flat=True):
        at_risk_inputs_refresh(cohort_id=cohort_id)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_at_risk_inputs"),
        ("submissions", "0008_at_risk_covering_indexes"),
        ("rubrics", "0005_assessment_draft"),
        ("cohorts", "0006_works_version"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
