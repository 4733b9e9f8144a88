"""Give existing courses the merge bases that imports keep from now on, and make every
objective's level follow its verb.

Bases: until now every import wrote all of a record's fields to the file's values, so the
newest history row an import wrote ("Imported from …") holds exactly what the last import
wrote. Without this, the first import after the upgrade could not tell an admin's edit
from a change in the file.

Levels: the level follows the verb through the mapping; objectives whose verb an admin
changed without the level following are put right. One whose verb has no mapping keeps
the level it has, marked as an override, so nothing an admin chose is lost.
"""

from django.db import migrations

IMPORT_REASON_PREFIX = "Imported from "
MERGED_FIELDS = {
    "Course": ["title", "introduction"],
    "Week": ["title"],
    "Objective": ["verb", "text"],
    "Lab": ["title", "scenario", "tools", "constraints", "expected_evidence"],
    "QualityGate": ["text"],
    "CapstoneProject": ["title", "description"],
    "CapstoneDeliverable": ["title"],
}


def _last_imported(apps, model_name: str) -> dict[int, dict]:
    historical = apps.get_model("curriculum", f"Historical{model_name}")
    fields = MERGED_FIELDS[model_name]
    rows = (
        historical.objects.filter(history_change_reason__startswith=IMPORT_REASON_PREFIX)
        .order_by("history_date", "history_id")
        .values("id", *fields)
    )
    return {row["id"]: {name: row[name] for name in fields} for row in rows}


def baselines_from_history(apps, schema_editor):
    model = {name: apps.get_model("curriculum", name) for name in MERGED_FIELDS}
    baseline = apps.get_model("curriculum", "ImportBaseline")
    imported = {name: _last_imported(apps, name) for name in MERGED_FIELDS}
    weeks = {w.pk: w for w in model["Week"].objects.all()}
    labs = {lab.pk: lab for lab in model["Lab"].objects.all()}
    projects = {p.pk: p for p in model["CapstoneProject"].objects.all()}
    records = []  # (course_id, record, model name, pk)
    records += [(pk, "course", "Course", pk) for pk in model["Course"].objects.values_list("pk", flat=True)]
    records += [(w.course_id, f"week:{w.number}", "Week", w.pk) for w in weeks.values()]
    for o in model["Objective"].objects.all():
        week = weeks[o.week_id]
        records.append((week.course_id, f"week:{week.number}/objective:{o.order}", "Objective", o.pk))
    for lab in labs.values():
        week = weeks[lab.week_id]
        records.append((week.course_id, f"week:{week.number}/lab", "Lab", lab.pk))
    for gate in model["QualityGate"].objects.all():
        week = weeks[labs[gate.lab_id].week_id]
        records.append((week.course_id, f"week:{week.number}/lab/gate:{gate.order}", "QualityGate", gate.pk))
    records += [(p.course_id, f"project:{p.number}", "CapstoneProject", p.pk) for p in projects.values()]
    for d in model["CapstoneDeliverable"].objects.all():
        project = projects[d.project_id]
        records.append(
            (project.course_id, f"project:{project.number}/deliverable:{d.order}", "CapstoneDeliverable", d.pk)
        )
    rows = [
        baseline(course_id=course_id, record=record, values=imported[name][pk])
        for course_id, record, name, pk in records
        if pk in imported[name]
    ]
    baseline.objects.bulk_create(rows, ignore_conflicts=True)


def levels_follow_verbs(apps, schema_editor):
    objective_model = apps.get_model("curriculum", "Objective")
    mapping = dict(apps.get_model("curriculum", "BloomVerb").objects.values_list("verb", "level_id"))
    for objective in objective_model.objects.filter(kind="outcome"):
        mapped = mapping.get(objective.verb.strip().lower())
        if mapped is not None and objective.bloom_level_id != mapped:
            objective.bloom_level_id = mapped
            objective.save(update_fields=["bloom_level"])
        elif mapped is None and objective.bloom_level_id is not None:
            objective.bloom_level_overridden = True
            objective.save(update_fields=["bloom_level_overridden"])


class Migration(migrations.Migration):
    dependencies = [("curriculum", "0004_import_merge_and_bloom_override")]

    operations = [
        migrations.RunPython(baselines_from_history, migrations.RunPython.noop),
        migrations.RunPython(levels_follow_verbs, migrations.RunPython.noop),
    ]
