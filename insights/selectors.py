"""A cohort seen by its staff: who is at risk and why, how quickly mentors decide, and what
the curriculum asks at each Bloom level. Each read runs a fixed number of queries, whatever
the number of students, weeks or decisions (tests/insights pins them)."""

import datetime
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from cohorts import selectors as cohort_selectors
from cohorts.models import Cohort, Membership
from cohorts.policies import can_manage_cohort, is_platform_admin
from cohorts.selectors import cohorts_for_user
from curriculum.models import BloomLevel, Course, Objective, Week
from curriculum.selectors import bloom_levels, course_weeks
from rubrics.models import Assessment
from rubrics.selectors import format_score, gradebook_student_scope, latest_mentor_scores
from submissions.models import Retrospective, Revision, RiskEntry, WeeklyWork, work_status

from .aggregates import PercentileCont
from .models import MAX_WEEKS, AtRiskInputs, AtRiskRules

# --- At-risk students ---------------------------------------------------------------------------

# The risk severities that count as "high" for the open-risk rule.
HIGH_SEVERITIES = (RiskEntry.Severity.HIGH, RiskEntry.Severity.CRITICAL)

RULE_LABELS = {
    "weeks_behind": "Weeks behind",
    "falling_score_weeks": "Falling scores",
    "max_revisions": "Many revisions",
    "missing_retrospectives": "Retrospectives missing",
    "overdue_high_risks": "High risks open",
}


@dataclass(frozen=True)
class AtRiskReason:
    rule: str  # the AtRiskRules field that raised it
    detail: str

    @property
    def label(self) -> str:
        return RULE_LABELS[self.rule]

    def __str__(self) -> str:
        return f"{self.label}: {self.detail}"


def at_risk_rules_for(cohort: Cohort) -> AtRiskRules:
    """The cohort's rules, or the defaults (unsaved) when nobody tuned them yet (one query)."""
    return AtRiskRules.objects.filter(cohort=cohort).first() or AtRiskRules(cohort=cohort)


def _weeks(numbers: list[int]) -> str:
    return ("week " if len(numbers) == 1 else "weeks ") + ", ".join(str(n) for n in numbers)


def at_risk_students(
    cohort: Cohort,
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    now: datetime.datetime | None = None,
    rules: AtRiskRules | None = None,
) -> dict[int, list[AtRiskReason]]:
    """The one owner of "at risk": student id → the reasons, for the cohort's students (or
    these of them) who meet at least one of the cohort's rules at `now`; students not at risk
    are left out. Eight queries whatever the cohort's size (seven when `rules` is given): see
    at_risk_in_cohorts."""
    found = at_risk_in_cohorts(
        [cohort], student_ids=student_ids, now=now, rules={cohort.pk: rules} if rules is not None else None
    )
    return found.get(cohort.pk, {})


def at_risk_in_cohorts(
    cohorts: list[Cohort],
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    now: datetime.datetime | None = None,
    rules: dict[int, AtRiskRules] | None = None,
) -> dict[int, dict[int, list[AtRiskReason]]]:
    """at_risk_students for several cohorts at once (the reminder sweep's mentor digests):
    cohort id → student id → reasons, students in id order. `student_ids` (ids or a query of
    them, read as a subquery) narrows the students.

    On PostgreSQL the rules are decided in the database (_at_risk_in_sql): four queries whatever
    the number of cohorts and students (three when `rules` is given): rules, weeks, extensions
    and one aggregate that returns only the students at risk with the weeks behind each reason.
    Elsewhere (SQLite) _at_risk_in_python reads the inputs and decides in Python (eight queries);
    a test checks that both give the same answers. What is due, missing, done or scored is
    decided by its owner (cohorts' due dates with extensions, submissions' work_status and
    retrospective "done", rubrics' latest mentor score)."""
    now = now or timezone.now()
    if not cohorts:
        return {}
    if rules is None:
        rules = {r.cohort_id: r for r in AtRiskRules.objects.filter(cohort_id__in=[c.pk for c in cohorts])}
    if connection.vendor == "postgresql":
        return _at_risk_in_sql(cohorts, student_ids=student_ids, now=now, rules=rules)
    return _at_risk_in_python(cohorts, student_ids=student_ids, now=now, rules=rules)


def rule_input_queries(cohort_ids: list[int], student_ids: Iterable[int] | QuerySet | None) -> dict[str, QuerySet]:
    """What the rules read, each from its owner's query (narrowed to these students when
    given): the students (cohort id, user id), their works of a week (id, cohort id, student id,
    week id, latest revision id), the latest mentor score of each work (work id, score), the
    finished retrospectives (cohort id, student id, week id) and the open high risks per week
    logged (cohort id, student id, week number, count). Both the rules in SQL and the refresh
    of the stored inputs (insights.services.at_risk_inputs_refresh) read these."""

    def narrowed(queryset: QuerySet, field: str = "student_id") -> QuerySet:
        return queryset if student_ids is None else queryset.filter(**{f"{field}__in": student_ids})

    students = narrowed(Membership.objects.filter(cohort_id__in=cohort_ids).students(), "user_id")
    works = narrowed(WeeklyWork.objects.filter(cohort_id__in=cohort_ids, week__isnull=False))
    scores = narrowed(
        Assessment.objects.latest_mentor_ranked().filter(revision__work__cohort_id__in=cohort_ids),
        "revision__work__student_id",
    )
    retrospectives = narrowed(Retrospective.objects.filter(cohort_id__in=cohort_ids)).done()
    risks = narrowed(
        RiskEntry.objects.filter(cohort_id__in=cohort_ids, status=RiskEntry.Status.OPEN, severity__in=HIGH_SEVERITIES)
    )
    return {
        "students": students.order_by().values("cohort_id", "user_id"),
        "works": works.order_by().values("pk", "cohort_id", "student_id", "week_id", "latest_revision_id"),
        "scores": scores.order_by().values("revision__work_id", "score"),
        "retrospectives": retrospectives.order_by().values("cohort_id", "student_id", "week_id"),
        "risks": risks.order_by()
        .values("cohort_id", "student_id", "week_opened__number")
        .annotate(count=Count("pk"))
        .values("cohort_id", "student_id", "week_opened__number", "count"),
    }


def _sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


# The rules as one statement. Each input is a CTE: the students, the weeks with their regular
# "past due" at `now`, the extended (student, week) pairs with their own, the thresholds, and the
# owners' own queries (works, latest mentor scores, finished retrospectives, open high risks)
# compiled by the ORM. The grid is students × weeks with each one's past due; every rule is one
# GROUP BY student over it, the falling trend a window over the scored weeks, newest first
# (row_number: how far back, lead: the score of the scored week before). Only students meeting
# at least one rule come back, each with the weeks (and scores, counts) its reasons name.
# Every rule's CTE is MATERIALIZED: the planner's estimates of the CTEs above are far too small
# (24 grid rows for 3,216), and inlined it joined each rule's GROUP BY in a nested loop that
# aggregated it again for every student (a cohort report chunk of 134 students: 250 ms;
# materialized, each is aggregated once: 135 ms, load average 10).
_AT_RISK_SQL = """
WITH students(cohort_id, student_id) AS MATERIALIZED ({students}),
weeks(cohort_id, week_id, number, regular_past_due) AS MATERIALIZED (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::bool[])
),
extended(cohort_id, student_id, number, past_due) AS MATERIALIZED (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::int[], %s::bool[])
),
rules(cohort_id, weeks_behind, falling, max_revisions, retrospectives, risks) AS (
    SELECT * FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::int[], %s::int[])
),
grid AS MATERIALIZED (
    SELECT s.cohort_id, s.student_id, w.week_id, w.number, COALESCE(e.past_due, w.regular_past_due) AS past_due
    FROM students s
    JOIN weeks w ON w.cohort_id = s.cohort_id
    LEFT JOIN extended e ON e.cohort_id = s.cohort_id AND e.student_id = s.student_id AND e.number = w.number
),
works(id, cohort_id, student_id, week_id, latest_revision_id) AS MATERIALIZED ({works}),
work_weeks AS MATERIALIZED (
    SELECT wk.id, wk.cohort_id, wk.student_id, w.number
    FROM works wk JOIN weeks w ON w.cohort_id = wk.cohort_id AND w.week_id = wk.week_id
),
revision_counts AS MATERIALIZED (
    -- Only works with a revision numbered above the lowest threshold are counted: numbers are
    -- distinct and from 1, so more than M revisions means one numbered above M.
    SELECT r.work_id, count(*) AS count
    FROM {revision_table} r JOIN works wk ON wk.id = r.work_id
    WHERE r.work_id IN (
        SELECT above.work_id FROM {revision_table} above
        WHERE above.number > (SELECT min(max_revisions) FROM rules WHERE max_revisions > 0)
    )
    GROUP BY r.work_id
),
scores(work_id, score) AS MATERIALIZED ({scores}),
retrospectives(cohort_id, student_id, week_id) AS MATERIALIZED ({retrospectives}),
risks(cohort_id, student_id, number, count) AS MATERIALIZED ({risks}),
missing AS MATERIALIZED (
    SELECT g.cohort_id, g.student_id, array_agg(g.number ORDER BY g.number) AS weeks
    FROM grid g
    LEFT JOIN works wk ON wk.cohort_id = g.cohort_id AND wk.student_id = g.student_id AND wk.week_id = g.week_id
    WHERE g.past_due AND wk.latest_revision_id IS NULL
    GROUP BY g.cohort_id, g.student_id
),
scored AS MATERIALIZED (
    SELECT ww.cohort_id, ww.student_id, ww.number, sc.score,
        row_number() OVER newest_first AS back,
        lead(sc.score) OVER newest_first AS previous
    FROM work_weeks ww JOIN scores sc ON sc.work_id = ww.id
    WINDOW newest_first AS (PARTITION BY ww.cohort_id, ww.student_id ORDER BY ww.number DESC)
),
falling AS MATERIALIZED (
    SELECT sd.cohort_id, sd.student_id,
        array_agg(sd.number ORDER BY sd.number) AS weeks, array_agg(sd.score ORDER BY sd.number) AS scores
    FROM scored sd JOIN rules r ON r.cohort_id = sd.cohort_id
    WHERE r.falling > 0 AND sd.back <= r.falling
    GROUP BY sd.cohort_id, sd.student_id, r.falling
    HAVING count(*) = r.falling AND bool_and(sd.back = r.falling OR sd.score < sd.previous)
),
many AS MATERIALIZED (
    SELECT ww.cohort_id, ww.student_id,
        array_agg(ww.number ORDER BY ww.number) AS weeks, array_agg(rc.count ORDER BY ww.number) AS counts
    FROM work_weeks ww
    JOIN revision_counts rc ON rc.work_id = ww.id
    JOIN rules r ON r.cohort_id = ww.cohort_id
    WHERE r.max_revisions > 0 AND rc.count > r.max_revisions
    GROUP BY ww.cohort_id, ww.student_id
),
without_retrospective AS MATERIALIZED (
    SELECT g.cohort_id, g.student_id, array_agg(g.number ORDER BY g.number) AS weeks
    FROM grid g
    LEFT JOIN retrospectives rt
        ON rt.cohort_id = g.cohort_id AND rt.student_id = g.student_id AND rt.week_id = g.week_id
    WHERE g.past_due AND rt.week_id IS NULL
    GROUP BY g.cohort_id, g.student_id
),
overdue AS MATERIALIZED (
    SELECT g.cohort_id, g.student_id, array_agg(g.number ORDER BY g.number) AS weeks, sum(rk.count) AS total
    FROM grid g
    JOIN risks rk ON rk.cohort_id = g.cohort_id AND rk.student_id = g.student_id AND rk.number = g.number
    WHERE g.past_due
    GROUP BY g.cohort_id, g.student_id
)
SELECT s.cohort_id, s.student_id, m.weeks, f.weeks, f.scores, mn.weeks, mn.counts, wr.weeks, o.weeks, o.total
FROM students s
JOIN rules r ON r.cohort_id = s.cohort_id
LEFT JOIN missing m ON m.cohort_id = s.cohort_id AND m.student_id = s.student_id
LEFT JOIN falling f ON f.cohort_id = s.cohort_id AND f.student_id = s.student_id
LEFT JOIN many mn ON mn.cohort_id = s.cohort_id AND mn.student_id = s.student_id
LEFT JOIN without_retrospective wr ON wr.cohort_id = s.cohort_id AND wr.student_id = s.student_id
LEFT JOIN overdue o ON o.cohort_id = s.cohort_id AND o.student_id = s.student_id
WHERE (r.weeks_behind > 0 AND cardinality(m.weeks) >= r.weeks_behind)
    OR f.student_id IS NOT NULL
    OR mn.student_id IS NOT NULL
    OR (r.retrospectives > 0 AND cardinality(wr.weeks) >= r.retrospectives)
    OR (r.risks > 0 AND o.total >= r.risks)
ORDER BY s.cohort_id, s.student_id
"""


def _at_risk_in_sql(
    cohorts: list[Cohort],
    *,
    student_ids: Iterable[int] | QuerySet | None,
    now: datetime.datetime,
    rules: dict[int, AtRiskRules],
) -> dict[int, dict[int, list[AtRiskReason]]]:
    cohort_ids = [c.pk for c in cohorts]
    by_id = {c.pk: c for c in cohorts}
    if student_ids is not None and not isinstance(student_ids, QuerySet):
        student_ids = list(student_ids)
        if not student_ids:  # an empty page: nobody to check (and an empty IN compiles to no SQL)
            return {c.pk: {} for c in cohorts}

    parts = {name: _sql_of(queryset) for name, queryset in rule_input_queries(cohort_ids, student_ids).items()}

    weeks_of: dict[int, list[tuple[int, int]]] = defaultdict(list)  # course → (number, week id)
    for week_id, course_id, number in Week.objects.filter(course_id__in={c.course_id for c in cohorts}).values_list(
        "pk", "course_id", "number"
    ):
        weeks_of[course_id].append((number, week_id))
    due = cohort_selectors.due_dates(
        cohorts=cohorts, student_ids=None if isinstance(student_ids, QuerySet) else student_ids
    )
    week_rows = [
        (cohort.pk, week_id, number, now > due.due_at(cohort, number, None))
        for cohort in cohorts
        for number, week_id in weeks_of[cohort.course_id]
    ]
    extended_rows = [
        (cohort_id, student_id, number, now > due.due_at(by_id[cohort_id], number, student_id))
        for cohort_id, student_id, number in due.extended()
        if cohort_id in by_id
    ]
    in_force = {c.pk: rules.get(c.pk) or AtRiskRules(cohort=c) for c in cohorts}
    rule_rows = [
        (
            pk,
            r.weeks_behind,
            r.falling_score_weeks,
            r.max_revisions,
            r.missing_retrospectives,
            r.overdue_high_risks,
        )
        for pk, r in in_force.items()
    ]

    def columns(rows: list[tuple], count: int) -> list[list]:
        return [[row[i] for row in rows] for i in range(count)]

    sql = _AT_RISK_SQL.format(
        students=parts["students"][0],
        works=parts["works"][0],
        scores=parts["scores"][0],
        retrospectives=parts["retrospectives"][0],
        risks=parts["risks"][0],
        revision_table=connection.ops.quote_name(Revision._meta.db_table),
    )
    params = (
        *parts["students"][1],
        *columns(week_rows, 4),
        *columns(extended_rows, 4),
        *columns(rule_rows, 6),
        *parts["works"][1],
        *parts["scores"][1],
        *parts["retrospectives"][1],
        *parts["risks"][1],
    )
    found: dict[int, dict[int, list[AtRiskReason]]] = {c.pk: {} for c in cohorts}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for cohort_id, student_id, missing, falling, falling_scores, many, counts, without, overdue, total in cursor:
            found[cohort_id][student_id] = _reasons_found(
                in_force[cohort_id],
                missing=missing or [],
                falling=list(zip(falling or [], falling_scores or [], strict=True)),
                many=list(zip(many or [], counts or [], strict=True)),
                without_retrospective=without or [],
                overdue=overdue or [],
                overdue_total=int(total or 0),
            )
    return found


def _reasons_found(
    rules: AtRiskRules,
    *,
    missing: list[int],
    falling: list[tuple[int, Decimal]],
    many: list[tuple[int, int]],
    without_retrospective: list[int],
    overdue: list[int],
    overdue_total: int,
) -> list[AtRiskReason]:
    """One student's reasons in the words of the rules, from what each rule found: the weeks
    missing, the last scored weeks when they fall (with their scores), the weeks with too many
    revisions (with the counts), the past-due weeks without a finished retrospective, the weeks
    with high risks open past them and their number. Both computations end here."""
    reasons: list[AtRiskReason] = []
    if rules.weeks_behind and len(missing) >= rules.weeks_behind:
        reasons.append(AtRiskReason("weeks_behind", f"{len(missing)} missing: {_weeks(missing)}"))
    if rules.falling_score_weeks and falling:
        path = " → ".join(format_score(score) for _, score in falling)
        weeks = _weeks([n for n, _ in falling])
        reasons.append(
            AtRiskReason("falling_score_weeks", f"{path} over the last {len(falling)} scored weeks ({weeks})")
        )
    if rules.max_revisions and many:
        listed = ", ".join(f"week {n} ({count})" for n, count in many)
        reasons.append(AtRiskReason("max_revisions", f"more than {rules.max_revisions} revisions: {listed}"))
    if rules.missing_retrospectives and len(without_retrospective) >= rules.missing_retrospectives:
        reasons.append(
            AtRiskReason(
                "missing_retrospectives", f"{len(without_retrospective)} not done: {_weeks(without_retrospective)}"
            )
        )
    if rules.overdue_high_risks and overdue_total >= rules.overdue_high_risks:
        reasons.append(
            AtRiskReason("overdue_high_risks", f"{overdue_total} open past their week (logged in {_weeks(overdue)})")
        )
    return reasons


def _at_risk_in_python(
    cohorts: list[Cohort],
    *,
    student_ids: Iterable[int] | QuerySet | None = None,
    now: datetime.datetime,
    rules: dict[int, AtRiskRules],
) -> dict[int, dict[int, list[AtRiskReason]]]:
    """The rules decided in Python from their inputs (databases other than PostgreSQL): eight
    queries whatever the number of cohorts and students (seven when `rules` is given)."""
    cohort_ids = [c.pk for c in cohorts]
    memberships = Membership.objects.filter(cohort_id__in=cohort_ids).students()
    if student_ids is not None:
        memberships = memberships.filter(user_id__in=student_ids)
    students_of: dict[int, list[int]] = defaultdict(list)
    for cohort_id, user_id in memberships.order_by("cohort_id", "user_id").values_list("cohort_id", "user_id"):
        students_of[cohort_id].append(user_id)
    ids = sorted({user_id for each in students_of.values() for user_id in each})
    course_weeks_of: dict[int, dict[int, int]] = defaultdict(dict)  # course → week number → week id
    number_of: dict[int, int] = {}  # week id → number
    for week_id, course_id, number in Week.objects.filter(course_id__in={c.course_id for c in cohorts}).values_list(
        "pk", "course_id", "number"
    ):
        course_weeks_of[course_id][number] = week_id
        number_of[week_id] = number
    due = cohort_selectors.due_dates(cohorts=cohorts, student_ids=ids)
    # (cohort, student) → week number → (work id, submitted, revisions)
    works: dict[tuple[int, int], dict[int, tuple[int, bool, int]]] = defaultdict(dict)
    for work_id, cohort_id, student_id, week_id, latest_revision_id, revision_count in (
        WeeklyWork.objects.filter(cohort_id__in=cohort_ids, student_id__in=ids, week__isnull=False)
        .annotate(revision_count=Count("revisions"))
        .order_by()
        .values_list("pk", "cohort_id", "student_id", "week_id", "latest_revision_id", "revision_count")
    ):
        works[(cohort_id, student_id)][number_of[week_id]] = (work_id, latest_revision_id is not None, revision_count)
    scores = latest_mentor_scores(list(cohorts), ids)
    # (cohort, student) → the week numbers with a finished retrospective
    retrospectives_done: dict[tuple[int, int], set[int]] = defaultdict(set)
    for cohort_id, student_id, week_id in (
        Retrospective.objects.filter(cohort_id__in=cohort_ids, student_id__in=ids)
        .done()
        .order_by()
        .values_list("cohort_id", "student_id", "week_id")
    ):
        if week_id in number_of:
            retrospectives_done[(cohort_id, student_id)].add(number_of[week_id])
    # (cohort, student) → [(week number, open high risks logged that week)]
    open_high_risks: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    for cohort_id, student_id, number, count in (
        RiskEntry.objects.filter(
            cohort_id__in=cohort_ids, student_id__in=ids, status=RiskEntry.Status.OPEN, severity__in=HIGH_SEVERITIES
        )
        .values("cohort_id", "student_id", "week_opened__number")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("cohort_id", "student_id", "week_opened__number", "count")
    ):
        open_high_risks[(cohort_id, student_id)].append((number, count))

    found: dict[int, dict[int, list[AtRiskReason]]] = {}
    for cohort in cohorts:
        numbers = sorted(course_weeks_of[cohort.course_id])
        cohort_rules = rules.get(cohort.pk) or AtRiskRules(cohort=cohort)
        # The regular due dates once per cohort; a student's own only for their extended weeks.
        regular_past_due = [n for n in numbers if now > due.due_at(cohort, n, None)]
        at_risk = {}
        for student_id in students_of.get(cohort.pk, []):
            extended = due.extended_weeks(cohort, student_id)
            past_due = [n for n in numbers if now > due.due_at(cohort, n, student_id)] if extended else regular_past_due
            reasons = _reasons(
                cohort_rules,
                past_due=past_due,
                works=works.get((cohort.pk, student_id), {}),
                scores=scores,
                retrospectives_done=retrospectives_done.get((cohort.pk, student_id), set()),
                open_high_risks=open_high_risks.get((cohort.pk, student_id), []),
            )
            if reasons:
                at_risk[student_id] = reasons
        found[cohort.pk] = at_risk
    return found


def _reasons(
    rules: AtRiskRules,
    *,
    past_due: list[int],
    works: dict[int, tuple[int, bool, int]],
    scores: dict[int, Decimal],
    retrospectives_done: set[int],
    open_high_risks: list[tuple[int, int]],
) -> list[AtRiskReason]:
    """One student's reasons under the rules, from what at_risk_in_cohorts loaded: week
    numbers past due (their own due dates), works by week number, scores by work id, the week
    numbers with a finished retrospective, and open high risks per week logged."""
    reasons: list[AtRiskReason] = []
    if rules.weeks_behind:
        missing = [
            n
            for n in past_due
            if work_status(display_state=None, submitted=n in works and works[n][1], past_due=True).key == "missing"
        ]
        if len(missing) >= rules.weeks_behind:
            reasons.append(AtRiskReason("weeks_behind", f"{len(missing)} missing: {_weeks(missing)}"))

    if rules.falling_score_weeks:
        scored = [(n, scores[works[n][0]]) for n in sorted(works) if works[n][0] in scores]
        last = scored[-rules.falling_score_weeks :]
        if len(last) == rules.falling_score_weeks and all(
            later[1] < earlier[1] for earlier, later in zip(last, last[1:], strict=False)
        ):
            path = " → ".join(format_score(score) for _, score in last)
            weeks = _weeks([n for n, _ in last])
            reasons.append(
                AtRiskReason("falling_score_weeks", f"{path} over the last {len(last)} scored weeks ({weeks})")
            )

    if rules.max_revisions:
        many = [(n, works[n][2]) for n in sorted(works) if works[n][2] > rules.max_revisions]
        if many:
            listed = ", ".join(f"week {n} ({count})" for n, count in many)
            reasons.append(AtRiskReason("max_revisions", f"more than {rules.max_revisions} revisions: {listed}"))

    if rules.missing_retrospectives:
        without = [n for n in past_due if n not in retrospectives_done]
        if len(without) >= rules.missing_retrospectives:
            reasons.append(AtRiskReason("missing_retrospectives", f"{len(without)} not done: {_weeks(without)}"))

    if rules.overdue_high_risks:
        overdue = [(n, count) for n, count in sorted(open_high_risks) if n in past_due]
        total = sum(count for _, count in overdue)
        if total >= rules.overdue_high_risks:
            logged = _weeks(sorted({n for n, _ in overdue}))
            reasons.append(AtRiskReason("overdue_high_risks", f"{total} open past their week (logged in {logged})"))
    return reasons


_INPUT_COLUMNS = ("submitted_weeks", "scores", "revisions", "retrospective_weeks", "open_high_risks")


def _stored_inputs(cohort: Cohort, student_ids: QuerySet) -> list[list]:
    """[student id, *the stored inputs] of each of these students, in id order, empty lists for a
    student without a row (one query). On PostgreSQL the rows come as one JSON document: one
    decoding instead of five per student (a third of the read's CPU at 3,334 students)."""
    scope_sql, scope_params = _sql_of(student_ids)
    table = connection.ops.quote_name(AtRiskInputs._meta.db_table)
    # A CTE with a column list names the students' column whatever the scope query calls it
    # (SQLite takes no column list on a subquery in FROM).
    scope = f"WITH s(id) AS ({scope_sql})"
    joined = f"FROM s LEFT JOIN {table} i ON i.cohort_id = %s AND i.student_id = s.id"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = ", ".join(f"COALESCE(i.{name}, '[]')" for name in _INPUT_COLUMNS)
            cursor.execute(f"{scope} SELECT json_agg(json_build_array(s.id, {columns}) ORDER BY s.id)::text {joined}",
                           (*scope_params, cohort.pk))  # fmt: skip
            document = cursor.fetchone()[0]
            return json.loads(document) if document else []
        columns = ", ".join(f"i.{name}" for name in _INPUT_COLUMNS)
        cursor.execute(f"{scope} SELECT s.id, {columns} {joined} ORDER BY s.id", (*scope_params, cohort.pk))
        return [[pk, *(json.loads(value) if value else [] for value in stored)] for pk, *stored in cursor.fetchall()]


def at_risk_from_inputs(
    cohort: Cohort,
    *,
    student_ids: QuerySet,
    now: datetime.datetime,
    rules: AtRiskRules,
) -> tuple[dict[int, list[AtRiskReason]], int]:
    """at_risk_students for these students (a query of their ids) read from their stored
    inputs (AtRiskInputs, kept by the write path), with how many students were read: three
    queries (the course's weeks, the cohort's extensions, the students with their rows) whatever
    the cohort's size or activity. The thresholds and "past due" at `now` (extensions applied,
    cohorts' DueDates) are applied here, so a rule change or a due date passing needs no
    write. A student without a row has no record that a service wrote (the row is made with
    the membership): nothing submitted, scored, reflected on or logged."""
    numbers = sorted(Week.objects.filter(course_id=cohort.course_id).values_list("number", flat=True))
    due = cohort_selectors.due_dates(cohort=cohort)
    regular_past_due = [n for n in numbers if now > due.due_at(cohort, n, None)]
    extended_students = {student_id for _, student_id, _ in due.extended()}
    found: dict[int, list[AtRiskReason]] = {}
    rows = _stored_inputs(cohort, student_ids)
    for student_id, submitted, scores, revisions, reflected, risks in rows:
        past_due = (
            [n for n in numbers if now > due.due_at(cohort, n, student_id)]
            if student_id in extended_students
            else regular_past_due
        )
        done, handed_in, due_before = set(reflected), set(submitted), set(past_due)
        falling: list[tuple[int, Decimal]] = []
        k = rules.falling_score_weeks
        if k and len(scores) >= k:
            last = [(n, Decimal(score)) for n, score in scores[-k:]]
            if all(later[1] < earlier[1] for earlier, later in zip(last, last[1:], strict=False)):
                falling = last
        overdue = [(n, count) for n, count in risks if n in due_before]
        reasons = _reasons_found(
            rules,
            missing=[n for n in past_due if n not in handed_in],
            falling=falling,
            many=[(n, count) for n, count in revisions if rules.max_revisions and count > rules.max_revisions],
            without_retrospective=[n for n in past_due if n not in done],
            overdue=sorted({n for n, _ in overdue}),
            overdue_total=sum(count for _, count in overdue),
        )
        if reasons:
            found[student_id] = reasons
    return found, len(rows)


@dataclass
class AtRiskRow:
    student: User
    reasons: list[AtRiskReason]


def at_risk_list(
    cohort: Cohort, students: list[User], *, now: datetime.datetime | None = None, rules: AtRiskRules | None = None
) -> list[AtRiskRow]:
    """The at-risk students among `students` (those a viewer follows), in their order."""
    found = at_risk_students(cohort, student_ids=[s.pk for s in students], now=now, rules=rules)
    return [AtRiskRow(student=s, reasons=found[s.pk]) for s in students if s.pk in found]


# --- The at-risk map of a viewer's students, cached ----------------------------------------------

# The bound on changes that reach the map without a cohort service (none are known: every input
# of the rules is changed by a service that bumps Cohort.grades_version).
AT_RISK_CACHE_SECONDS = 3600


@dataclass
class AtRiskFollowed:
    """The students a viewer follows in a cohort that are at risk (student id → reasons, in id
    order) and how many students they follow."""

    found: dict[int, list[AtRiskReason]]
    followed: int

    def rows(self, students: Iterable[User]) -> list[AtRiskRow]:
        """`students` (users among `found`) as rows with their reasons, in their order."""
        return [AtRiskRow(student=s, reasons=self.found[s.pk]) for s in students if s.pk in self.found]

    def students(self) -> QuerySet[User]:
        """The students at risk, in name order (the list's order), as a query to paginate."""
        return User.objects.filter(pk__any_of=list(self.found)).order_by("name", "email", "pk")


def _at_risk_key(cohort: Cohort, scope: str, rules: AtRiskRules, due: datetime.datetime | None) -> str:
    """What the map depends on: the cohort's data (Cohort.grades_version, bumped in the
    transaction of every service that changes a rule's input: works, revisions, scores,
    retrospectives, risks, members, mentors, extensions, the rules), the rules themselves, the
    viewer's scope, and which due dates have passed at `now`: between two due instants every
    "past due" reads the same, so the next one to pass (cohorts.selectors.next_due_passing, one
    query: `due`) names the interval `now` is in. Any `now` in it reads the same entry."""
    thresholds = ",".join(str(getattr(rules, name)) for name in RULE_LABELS)
    stamp = f"{cohort.created_at.timestamp():.6f}"
    passing = due.isoformat() if due is not None else "never"
    updated = rules.updated_at.timestamp() if rules.updated_at else "default"
    return f"insights:at-risk:v1:{cohort.pk}:{stamp}:{cohort.grades_version}:{updated}:{thresholds}:{scope}:{passing}"


def at_risk_followed(
    cohort: Cohort,
    user: User,
    *,
    manages: bool | None = None,
    rules: AtRiskRules | None = None,
    now: datetime.datetime | None = None,
    cached_only: bool = False,
) -> AtRiskFollowed | None:
    """The at-risk students among those the user follows (instructors and admins: every
    student; a mentor: their assigned ones), shared by the at-risk list, its API and the
    gradebook's and heatmap's at-risk filter and marks. Kept in the cache under _at_risk_key
    until the next due date passes (at most AT_RISK_CACHE_SECONDS), so a cohort's many pages
    and calls between two changes decide the rules once. `cached_only`: None instead of
    computing on a miss (the gradebook's marks then check only the page's students). Queries:
    the role (none when `manages` is given), the rules (none when given), the next due date;
    on a miss at_risk_from_inputs' three (the students followed with their stored inputs, not
    the cohort's records: the first request after a change costs the same whatever the
    cohort's size)."""
    now = now or timezone.now()
    if manages is None:
        manages = can_manage_cohort(user, cohort)
    rules = rules if rules is not None else at_risk_rules_for(cohort)
    due = cohort_selectors.next_due_passing(cohort, numbers=range(1, MAX_WEEKS + 1), now=now)
    key = _at_risk_key(cohort, "all" if manages else f"mentor-{user.pk}", rules, due)
    followed = cache.get(key)
    if followed is None and not cached_only:
        scope = gradebook_student_scope(cohort, user, manages=manages)
        found, count = at_risk_from_inputs(cohort, student_ids=scope.values("pk"), now=now, rules=rules)
        followed = AtRiskFollowed(found=found, followed=count)
        seconds = AT_RISK_CACHE_SECONDS
        if due is not None:
            seconds = min(seconds, int((due - timezone.now()).total_seconds()))
        if seconds > 0:
            cache.set(key, followed, timeout=seconds)
    return followed


# --- Review turnaround --------------------------------------------------------------------------


@dataclass
class Turnaround:
    """Time from a revision's submission to a mentor's decision on it."""

    decisions: int
    median: datetime.timedelta | None
    p90: datetime.timedelta | None
    within_deadline: int
    deadline: datetime.timedelta

    @property
    def p90_over_deadline(self) -> bool:
        """More than one decision in ten came after the cohort's review deadline."""
        return self.p90 is not None and self.p90 > self.deadline

    @property
    def within_percent(self) -> int | None:
        return round(100 * self.within_deadline / self.decisions) if self.decisions else None


@dataclass
class ReviewerTurnaround(Turnaround):
    reviewer: User | None = None


@dataclass
class TurnaroundReport:
    cohort: Cohort
    start: datetime.date
    end: datetime.date
    deadline: datetime.timedelta
    overall: Turnaround
    reviewers: list[ReviewerTurnaround] = field(default_factory=list)


# Turnaround opens on the last four weeks: today and the 27 days before it.
DEFAULT_PERIOD = datetime.timedelta(days=27)


def default_period(cohort: Cohort, now: datetime.datetime) -> tuple[datetime.date, datetime.date]:
    """The period turnaround shows when none is chosen (page and API): the last four weeks up
    to today in the cohort's time zone."""
    today = now.astimezone(ZoneInfo(cohort.time_zone)).date()
    return today - DEFAULT_PERIOD, today


def period_bounds(
    cohort: Cohort, start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """From the start day's midnight to the midnight after the end day, in the cohort's zone."""
    zone = ZoneInfo(cohort.time_zone)
    return (
        datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone),
    )


def mentor_decisions(cohort: Cohort, start: datetime.date, end: datetime.date) -> QuerySet[Assessment]:
    """Every mentor decision (accept or request changes) on the cohort's work made in the
    period, each with `waited`: from the revision's submission to the decision."""
    since, until = period_bounds(cohort, start, end)
    return (
        Assessment.objects.filter(
            kind=Assessment.Kind.MENTOR,
            decision__in=[Assessment.Decision.ACCEPT, Assessment.Decision.REQUEST_CHANGES],
            revision__work__cohort=cohort,
            submitted_at__gte=since,
            submitted_at__lt=until,
        )
        .annotate(
            waited=ExpressionWrapper(F("submitted_at") - F("revision__submitted_at"), output_field=DurationField())
        )
        .order_by()
    )


def _figures_in_sql(decisions: QuerySet[Assessment], deadline: datetime.timedelta) -> dict:
    return {
        "decisions": Count("pk"),
        "median": PercentileCont("waited", 0.5),
        "p90": PercentileCont("waited", 0.9),
        "within_deadline": Count("pk", filter=Q(waited__lte=deadline)),
    }


def percentile(values: list[datetime.timedelta], fraction: float) -> datetime.timedelta | None:
    """PostgreSQL's percentile_cont over sorted values: linear interpolation between the two
    nearest ranks (the median of 1, 2, 3, 10 hours is 2 h 30 min)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def _figures_of(waits: list[datetime.timedelta], deadline: datetime.timedelta) -> dict:
    return {
        "decisions": len(waits),
        "median": percentile(waits, 0.5),
        "p90": percentile(waits, 0.9),
        "within_deadline": sum(1 for wait in waits if wait <= deadline),
    }


def turnaround_by_reviewer_sql(
    decisions: QuerySet[Assessment], deadline: datetime.timedelta
) -> tuple[dict, dict[int, dict]]:
    """The figures overall and per reviewer, computed by PostgreSQL (two queries)."""
    figures = _figures_in_sql(decisions, deadline)
    overall = decisions.aggregate(**figures)
    per_reviewer = {row.pop("scorer_id"): row for row in decisions.values("scorer_id").annotate(**figures)}
    return overall, per_reviewer


def turnaround_by_reviewer_python(
    decisions: QuerySet[Assessment], deadline: datetime.timedelta
) -> tuple[dict, dict[int, dict]]:
    """The same figures from the list of waits (one query): SQLite has no percentile_cont."""
    waits: dict[int, list[datetime.timedelta]] = defaultdict(list)
    for scorer_id, decided_at, submitted_at in decisions.values_list(
        "scorer_id", "submitted_at", "revision__submitted_at"
    ):
        waits[scorer_id].append(decided_at - submitted_at)
    overall = _figures_of([wait for each in waits.values() for wait in each], deadline)
    return overall, {scorer_id: _figures_of(each, deadline) for scorer_id, each in waits.items()}


def review_turnaround(
    cohort: Cohort, *, start: datetime.date, end: datetime.date, reviewer_ids: list[int] | None = None
) -> TurnaroundReport:
    """Median and 90th percentile of submission-to-decision time over the decisions made in
    the period (start and end days included, in the cohort's zone), for the cohort and per
    reviewer, and how many came within the cohort's review deadline. Three queries on
    PostgreSQL (overall, per reviewer, the reviewers), two elsewhere. `reviewer_ids` narrows
    the per-reviewer rows (a mentor sees only their own), never the cohort's figures."""
    deadline = datetime.timedelta(hours=cohort.review_deadline_hours)
    decisions = mentor_decisions(cohort, start, end)
    compute = turnaround_by_reviewer_sql if connection.vendor == "postgresql" else turnaround_by_reviewer_python
    overall, per_reviewer = compute(decisions, deadline)
    shown = [pk for pk in per_reviewer if reviewer_ids is None or pk in reviewer_ids]
    reviewers = {u.pk: u for u in User.objects.filter(pk__in=shown)} if shown else {}
    rows = [
        ReviewerTurnaround(reviewer=reviewers[pk], deadline=deadline, **per_reviewer[pk])
        for pk in shown
        if pk in reviewers
    ]
    rows.sort(key=lambda row: (row.median or datetime.timedelta.max, row.reviewer.display_name.lower()))
    overall_figures = Turnaround(deadline=deadline, **overall)
    return TurnaroundReport(
        cohort=cohort, start=start, end=end, deadline=deadline, overall=overall_figures, reviewers=rows
    )


def duration_text(value: datetime.timedelta | None) -> str:
    """A turnaround as people read it: "2 d 4 h", "5 h 30 min", "45 min"; "–" for none."""
    if value is None:
        return "–"
    minutes = int(round(value.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


# --- Curriculum coverage ------------------------------------------------------------------------


@dataclass
class CoverageWeek:
    number: int
    title: str
    counts: list[int]  # outcome objectives per Bloom level, lowest level first
    unleveled: int  # outcome objectives without a level

    @property
    def total(self) -> int:
        return sum(self.counts) + self.unleveled


@dataclass
class Coverage:
    course: Course
    levels: list[BloomLevel]
    weeks: list[CoverageWeek]
    chart: dict = field(default_factory=dict)

    @property
    def totals(self) -> list[int]:
        return [sum(week.counts[i] for week in self.weeks) for i in range(len(self.levels))]

    @property
    def unleveled(self) -> int:
        return sum(week.unleveled for week in self.weeks)

    @property
    def total(self) -> int:
        return sum(week.total for week in self.weeks)


def curriculum_coverage(course: Course) -> Coverage:
    """Outcome objectives per Bloom level per week (the routine habits left out), as
    curriculum_lint's progression check reads them. Three queries: levels, weeks, objectives."""
    levels = list(bloom_levels())
    column = {level.pk: i for i, level in enumerate(levels)}
    weeks = []
    for week in course_weeks(course):
        counts = [0] * len(levels)
        unleveled = 0
        for objective in week.objectives.all():
            if objective.kind != Objective.Kind.OUTCOME:
                continue
            if objective.bloom_level_id is None:
                unleveled += 1
            else:
                counts[column[objective.bloom_level_id]] += 1
        weeks.append(CoverageWeek(number=week.number, title=week.title, counts=counts, unleveled=unleveled))
    coverage = Coverage(course=course, levels=levels, weeks=weeks)
    coverage.chart = coverage_chart(coverage)
    return coverage


def coverage_chart(coverage: Coverage) -> dict:
    """Geometry of the stacked bar chart: one bar per week, one segment per Bloom level
    (lowest at the bottom), the unleveled on top."""
    width, height, left, top_pad, base = 760, 280, 40, 16, 240
    count = max(1, len(coverage.weeks))
    slot = (width - left - 12) / count
    bar = round(slot * 0.7, 1)
    peak = max([week.total for week in coverage.weeks] + [1])

    def y(value: float) -> float:
        return round(base - (base - top_pad) * value / peak, 1)

    bars = []
    for index, week in enumerate(coverage.weeks):
        x = round(left + index * slot + (slot - bar) / 2, 1)
        stacked, segments = 0, []
        parts = [(level.key, level.name, n) for level, n in zip(coverage.levels, week.counts, strict=True)]
        parts.append(("none", "No level", week.unleveled))
        for css, name, n in parts:
            if not n:
                continue
            top, bottom = y(stacked + n), y(stacked)
            segments.append({"css": css, "name": name, "count": n, "y": top, "height": round(bottom - top, 1)})
            stacked += n
        bars.append(
            {
                "x": x,
                "width": bar,
                "label_x": round(x + bar / 2, 1),
                "number": week.number,
                "total": week.total,
                "segments": segments,
            }
        )
    step = 1 if peak <= 6 else 2
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - 12,
        "base": base,
        "label_y": base + 18,
        "bars": bars,
        "gridlines": [{"y": y(v), "label": v} for v in range(0, peak + 1, step)],
    }


# --- Where to start ------------------------------------------------------------------------------


def cohorts_with_insights(user: User) -> list[Cohort]:
    """The cohorts whose insights the user may read (policies.can_view_insights), newest
    first, each with `can_tune`: whether the user manages it (one query for an admin, two otherwise)."""
    if is_platform_admin(user):
        cohorts = list(cohorts_for_user(user))
        for cohort in cohorts:
            cohort.can_tune = True
        return cohorts
    roles = dict(Membership.objects.of(user=user).teachers().values_list("cohort_id", "role"))
    cohorts = list(Cohort.objects.filter(pk__in=roles).select_related("course").order_by("-start_date", "name"))
    for cohort in cohorts:
        cohort.can_tune = roles[cohort.pk] == Membership.Role.INSTRUCTOR
    return cohorts
