"""Actions that change insights' state: the at-risk rules, and the rules' inputs kept per
student (AtRiskInputs)."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Subquery

from cohorts.models import Cohort
from cohorts.services import cohort_grades_changed
from curriculum.models import Week
from submissions.models import Revision

from .models import AtRiskInputs, AtRiskRules
from .selectors import rule_input_queries

AT_RISK_INPUT_FIELDS = ("submitted_weeks", "scores", "revisions", "retrospective_weeks", "open_high_risks")
RULE_FIELDS = ("weeks_behind", "falling_score_weeks", "max_revisions", "missing_retrospectives", "overdue_high_risks")


@transaction.atomic
def at_risk_rules_update(*, cohort: Cohort, **thresholds: int) -> AtRiskRules:
    """Save the cohort's at-risk thresholds (creating its row on first use); the callers
    check insights.policies.can_tune_at_risk_rules first. The stored inputs hold no verdict,
    so nothing is recomputed: the new thresholds apply on the next read."""
    unknown = set(thresholds) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown at-risk rules: {sorted(unknown)}")
    rules = AtRiskRules.objects.select_for_update().filter(cohort=cohort).first() or AtRiskRules(cohort=cohort)
    for name, value in thresholds.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    cohort_grades_changed(cohort_id=cohort.pk)  # the gradebook's at-risk marks and filter
    return rules


# The inputs of the given students (or every student) of one cohort, computed from the owners'
# queries (selectors.rule_input_queries) and written in the same statement: an upsert of each
# student of the cohort among them, and the removal of the rows of those who are no longer its
# students. Each input is one GROUP BY student, so the cost is that of the students named.
_REFRESH_SQL = """
WITH students(cohort_id, student_id) AS MATERIALIZED ({students}),
weeks(week_id, number) AS MATERIALIZED ({weeks}),
works(id, cohort_id, student_id, week_id, latest_revision_id) AS MATERIALIZED ({works}),
work_weeks AS MATERIALIZED (
    SELECT wk.id, wk.student_id, w.number, wk.latest_revision_id
    FROM works wk JOIN weeks w ON w.week_id = wk.week_id
),
scores(work_id, score) AS MATERIALIZED ({scores}),
retrospectives(cohort_id, student_id, week_id) AS MATERIALIZED ({retrospectives}),
risks(cohort_id, student_id, number, count) AS MATERIALIZED ({risks}),
submitted AS (
    SELECT student_id, jsonb_agg(number ORDER BY number) AS weeks
    FROM work_weeks WHERE latest_revision_id IS NOT NULL GROUP BY student_id
),
scored AS (
    SELECT ww.student_id, jsonb_agg(jsonb_build_array(ww.number, sc.score::text) ORDER BY ww.number) AS scores
    FROM work_weeks ww JOIN scores sc ON sc.work_id = ww.id GROUP BY ww.student_id
),
revised AS (
    SELECT ww.student_id, jsonb_agg(jsonb_build_array(ww.number, rc.count) ORDER BY ww.number) AS revisions
    FROM work_weeks ww
    JOIN (
        -- revision numbers are distinct and from 1: a work with one numbered above 1 has two or more
        SELECT r.work_id, count(*) AS count FROM {revision_table} r
        WHERE r.work_id IN (SELECT above.work_id FROM {revision_table} above JOIN works wk ON wk.id = above.work_id
                            WHERE above.number > 1)
        GROUP BY r.work_id
    ) rc ON rc.work_id = ww.id
    GROUP BY ww.student_id
),
reflected AS (
    SELECT rt.student_id, jsonb_agg(w.number ORDER BY w.number) AS weeks
    FROM retrospectives rt JOIN weeks w ON w.week_id = rt.week_id GROUP BY rt.student_id
),
risky AS (
    SELECT rk.student_id, jsonb_agg(jsonb_build_array(rk.number, rk.count) ORDER BY rk.number) AS risks
    FROM risks rk WHERE rk.number IS NOT NULL GROUP BY rk.student_id
),
gone AS (
    DELETE FROM {inputs_table} i
    WHERE i.cohort_id = %s {named_students}
        AND NOT EXISTS (SELECT 1 FROM students s WHERE s.student_id = i.student_id)
)
INSERT INTO {inputs_table} AS i (cohort_id, student_id, submitted_weeks, scores, revisions, retrospective_weeks,
                                 open_high_risks, refreshed_at)
SELECT s.cohort_id, s.student_id, COALESCE(sb.weeks, '[]'), COALESCE(sd.scores, '[]'), COALESCE(rv.revisions, '[]'),
    COALESCE(rf.weeks, '[]'), COALESCE(rk.risks, '[]'), now()
FROM students s
LEFT JOIN submitted sb ON sb.student_id = s.student_id
LEFT JOIN scored sd ON sd.student_id = s.student_id
LEFT JOIN revised rv ON rv.student_id = s.student_id
LEFT JOIN reflected rf ON rf.student_id = s.student_id
LEFT JOIN risky rk ON rk.student_id = s.student_id
ON CONFLICT (cohort_id, student_id) DO UPDATE SET
    submitted_weeks = EXCLUDED.submitted_weeks, scores = EXCLUDED.scores, revisions = EXCLUDED.revisions,
    retrospective_weeks = EXCLUDED.retrospective_weeks, open_high_risks = EXCLUDED.open_high_risks,
    refreshed_at = EXCLUDED.refreshed_at
"""


def at_risk_inputs_refresh(*, cohort_id: int, student_ids: Iterable[int] | None = None) -> None:
    """Bring the stored rule inputs (AtRiskInputs) of these students of the cohort (every
    student when None) up to what their records say now: a row for each of them who is a
    student of the cohort, none for the others. Called in the transaction of each change to a
    student's record (cohorts.signals.student_changed, receivers.py), by the rebuild and by
    bulk loads. One statement on PostgreSQL; seven queries elsewhere."""
    named = None if student_ids is None else sorted(set(student_ids))
    if named == []:
        return
    if connection.vendor == "postgresql":
        _refresh_in_sql(cohort_id, named)
    else:
        _refresh_in_python(Cohort.objects.only("pk", "course_id").get(pk=cohort_id), named)


def _sql_of(queryset) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def _refresh_in_sql(cohort_id: int, named: list[int] | None) -> None:
    parts = {name: _sql_of(queryset) for name, queryset in rule_input_queries([cohort_id], named).items()}
    course_id = Cohort.objects.filter(pk=cohort_id).values("course_id")
    parts["weeks"] = _sql_of(Week.objects.filter(course_id=Subquery(course_id)).order_by().values("pk", "number"))
    sql = _REFRESH_SQL.format(
        **{name: sql for name, (sql, _) in parts.items()},
        revision_table=connection.ops.quote_name(Revision._meta.db_table),
        inputs_table=connection.ops.quote_name(AtRiskInputs._meta.db_table),
        named_students="" if named is None else "AND i.student_id = ANY(%s)",
    )
    params = (
        *parts["students"][1],
        *parts["weeks"][1],
        *parts["works"][1],
        *parts["scores"][1],
        *parts["retrospectives"][1],
        *parts["risks"][1],
        cohort_id,
        *(() if named is None else (named,)),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _refresh_in_python(cohort: Cohort, named: list[int] | None) -> None:
    """The same inputs read with the owners' queries and written row by row (SQLite)."""
    queries = rule_input_queries([cohort.pk], named)
    number_of = dict(Week.objects.filter(course_id=cohort.course_id).values_list("pk", "number"))
    students = [row["user_id"] for row in queries["students"]]
    inputs = {pk: {"submitted_weeks": [], "scores": [], "revisions": [], "retrospective_weeks": [],
                   "open_high_risks": []} for pk in students}  # fmt: skip
    works = {row["pk"]: row for row in queries["works"] if row["week_id"] in number_of}
    counts = dict(
        Revision.objects.filter(work_id__in=list(works))
        .values("work_id")
        .annotate(count=Count("pk"))
        .values_list("work_id", "count")
    )
    scores = {row["revision__work_id"]: row["score"] for row in queries["scores"]}
    for work in sorted(works.values(), key=lambda w: number_of[w["week_id"]]):
        row, number = inputs.get(work["student_id"]), number_of[work["week_id"]]
        if row is None:
            continue
        if work["latest_revision_id"] is not None:
            row["submitted_weeks"].append(number)
        if work["pk"] in scores:
            row["scores"].append([number, str(scores[work["pk"]])])
        if counts.get(work["pk"], 0) > 1:
            row["revisions"].append([number, counts[work["pk"]]])
    reflected: dict[int, list[int]] = defaultdict(list)
    for row in queries["retrospectives"]:
        if row["week_id"] in number_of:
            reflected[row["student_id"]].append(number_of[row["week_id"]])
    for student_id, weeks in reflected.items():
        if student_id in inputs:
            inputs[student_id]["retrospective_weeks"] = sorted(weeks)
    for row in sorted(queries["risks"], key=lambda r: r["week_opened__number"]):
        if row["student_id"] in inputs:
            inputs[row["student_id"]]["open_high_risks"].append([row["week_opened__number"], row["count"]])
    stale = AtRiskInputs.objects.filter(cohort_id=cohort.pk).exclude(student_id__in=students)
    if named is not None:
        stale = stale.filter(student_id__in=named)
    stale.delete()
    AtRiskInputs.objects.bulk_create(
        [AtRiskInputs(cohort_id=cohort.pk, student_id=pk, **values) for pk, values in inputs.items()],
        update_conflicts=True,
        unique_fields=["cohort", "student"],
        update_fields=[*AT_RISK_INPUT_FIELDS, "refreshed_at"],
    )


@transaction.atomic
def at_risk_inputs_rebuild(*, cohort: Cohort) -> int:
    """Recompute the stored rule inputs of every student of the cohort (after a bulk load
    such as seed_load, or to repair them); returns how many students the cohort has."""
    at_risk_inputs_refresh(cohort_id=cohort.pk)
    return AtRiskInputs.objects.filter(cohort=cohort).count()
