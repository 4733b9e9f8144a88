"""The insights of a cohort as the pages show them (GET only): the at-risk list with each
student's reasons and the rules in force, and review turnaround over a period. The same
access functions (insights.policies: 404 for anyone who is not the cohort's mentor or
instructor, or an admin) and the same selectors as /insights/<cohort>/at-risk/ and
…/turnaround/."""

import datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PageNumberPagination

from . import policies, selectors
from .forms import TurnaroundPeriodForm
from .serializers import AtRiskPageOutput, TurnaroundOutput, TurnaroundQuery
from .services import RULE_FIELDS

COHORT_SLUG = OpenApiParameter("cohort_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cohort's slug.")


class AtRiskView(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        summary="The cohort's students at risk, each with every reason, and the rules in force",
        description="Instructors and admins get every student of the cohort; a mentor gets their assigned "
        "students. Anyone else: 404. Numbered pages (`page`, `page_size` up to 200), in name order.",
        tags=["insights"],
        parameters=[
            COHORT_SLUG,
            OpenApiParameter("page", OpenApiTypes.INT, description="Page number (from 1)."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Students a page: 50 by default, at most 200."),
        ],
        responses=AtRiskPageOutput,
    )
    def get(self, request: Request, cohort_slug: str) -> Response:
        cohort = policies.cohort_get_for_insights(request.user, cohort_slug)
        rules = selectors.at_risk_rules_for(cohort)
        followed = selectors.at_risk_followed(cohort, request.user, rules=rules)
        paginator = self.pagination_class()
        page = followed.rows(paginator.paginate_queryset(followed.students(), request, view=self))
        data = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "students_followed": followed.followed,
            "rules": {**{name: getattr(rules, name) for name in RULE_FIELDS}, "description": rules.describe()},
            "results": [
                {
                    "student": row.student.pk,
                    "name": row.student.display_name,
                    "reasons": [{"rule": r.rule, "label": r.label, "detail": r.detail} for r in row.reasons],
                }
                for row in page
            ],
        }
        return Response(AtRiskPageOutput(data).data)


def _figures(figures: selectors.Turnaround) -> dict:
    def seconds(value: datetime.timedelta | None) -> int | None:
        return None if value is None else round(value.total_seconds())

    return {
        "decisions": figures.decisions,
        "median_seconds": seconds(figures.median),
        "median": selectors.duration_text(figures.median),
        "p90_seconds": seconds(figures.p90),
        "p90": selectors.duration_text(figures.p90),
        "within_deadline": figures.within_deadline,
        "within_percent": figures.within_percent,
        "p90_over_deadline": figures.p90_over_deadline,
    }


class TurnaroundView(APIView):
    @extend_schema(
        summary="Review turnaround: median and 90th percentile from submission to a mentor's decision",
        description="For the cohort and per reviewer, over the period (start and end days included, in the "
        "cohort's time zone; the last four weeks by default; at most 400 days). The cohort's mentors get the "
        "cohort's figures and their own row; instructors and admins every reviewer's. Anyone else: 404. "
        "A bad date, an end before the start or a longer period: 400 naming the field.",
        tags=["insights"],
        parameters=[COHORT_SLUG, TurnaroundQuery],
        responses=TurnaroundOutput,
    )
    def get(self, request: Request, cohort_slug: str) -> Response:
        query = TurnaroundQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        cohort = policies.cohort_get_for_insights(request.user, cohort_slug)
        start, end = selectors.default_period(cohort, timezone.now())
        # The page's form owns the period's rules (order, longest period): one place says them.
        form = TurnaroundPeriodForm(
            {"start": query.validated_data.get("start", start), "end": query.validated_data.get("end", end)}
        )
        if not form.is_valid():
            raise exceptions.ValidationError({field: list(errors) for field, errors in form.errors.items()})
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        mine_only = None if policies.sees_every_student(request.user, cohort) else [request.user.pk]
        report = selectors.review_turnaround(cohort, start=start, end=end, reviewer_ids=mine_only)
        data = {
            "cohort": cohort.slug,
            "start": start,
            "end": end,
            "deadline_hours": cohort.review_deadline_hours,
            "cohort_figures": _figures(report.overall),
            "reviewers": [
                {"reviewer": row.reviewer.pk, "name": row.reviewer.display_name, **_figures(row)}
                for row in report.reviewers
            ],
        }
        return Response(TurnaroundOutput(data).data)
