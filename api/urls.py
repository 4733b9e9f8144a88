"""/api/v1/ (the REST API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, served
from our own static files). Each app's viewsets live in `<app>/api.py`; register them on
the router below, in the app's section."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from cohorts import api as cohorts_api
from curriculum import api as curriculum_api

from . import views

app_name = "api"

router = SimpleRouter()

# accounts
router.register("tokens", accounts_api.TokenViewSet, basename="token")
# curriculum
router.register("bloom-levels", curriculum_api.BloomLevelViewSet, basename="bloom-level")
router.register("courses", curriculum_api.CourseViewSet, basename="course")
router.register(r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)/weeks", curriculum_api.WeekViewSet, basename="week")
router.register(
    r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)/capstones", curriculum_api.CapstoneViewSet, basename="capstone"
)
# cohorts
router.register("cohorts", cohorts_api.CohortViewSet, basename="cohort")
router.register(
    r"cohorts/(?P<cohort_slug>[-a-zA-Z0-9_]+)/memberships", cohorts_api.MembershipViewSet, basename="membership"
)
router.register(
    r"cohorts/(?P<cohort_slug>[-a-zA-Z0-9_]+)/mentor-assignments",
    cohorts_api.MentorAssignmentViewSet,
    basename="mentor-assignment",
)
router.register(
    r"cohorts/(?P<cohort_slug>[-a-zA-Z0-9_]+)/extensions", cohorts_api.ExtensionViewSet, basename="extension"
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/me/", accounts_api.MeView.as_view(), name="me"),
    path("v1/", include((router.urls, "v1"))),
    # Last: anything else under /api/ is a problem+json 404, not the HTML page.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]
