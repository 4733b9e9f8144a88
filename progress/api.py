"""A learner's grades and mastery, as on the pages (GET only). progress.policies decides who
may read them (404 for anyone else); progress.selectors computes them."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rubrics.selectors import format_score

from . import policies, selectors
from .serializers import GradesOutput, MasteryOutput

PARAMETERS = [
    OpenApiParameter("cohort_slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The cohort's slug."),
    OpenApiParameter("student_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The student's user id."),
]


class GradesView(APIView):
    @extend_schema(
        summary="A learner's grades: every week and capstone deliverable, totals and running average",
        tags=["progress"],
        parameters=PARAMETERS,
        responses=GradesOutput,
    )
    def get(self, request: Request, cohort_slug: str, student_id: int) -> Response:
        cohort, student = policies.learner_get_for_progress(request.user, cohort_slug, student_id)
        grades = selectors.grades_for(cohort, student)
        data = {
            "cohort": cohort.slug,
            "student": student.pk,
            "accepted": grades.accepted,
            "total": grades.total,
            "scored": grades.scored,
            "average": format_score(grades.average),
            "late": grades.late,
            "lines": selectors.grades_as_rows(grades),
        }
        return Response(GradesOutput(data).data)


class MasteryView(APIView):
    @extend_schema(
        summary="A learner's mastery: objectives met per week and Bloom level, and the criterion trend",
        tags=["progress"],
        parameters=PARAMETERS,
        responses=MasteryOutput,
    )
    def get(self, request: Request, cohort_slug: str, student_id: int) -> Response:
        cohort, student = policies.learner_get_for_progress(request.user, cohort_slug, student_id)
        mastery = selectors.mastery_for(cohort, student)
        return Response(MasteryOutput(selectors.mastery_as_data(mastery)).data)
