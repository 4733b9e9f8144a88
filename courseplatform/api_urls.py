"""/api/v1/ (the REST API), /api/schema/ (OpenAPI 3) and /api/docs/ (Swagger UI, served
from our own static files). Each app's viewsets live in `<app>/api.py`; register them on
the router below, in the app's section.

The router lives in the composition layer because it names every app; the `api` package
beside the apps is only machinery (problem details, idempotency, pagination, throttling,
schema hooks) and imports none of them."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from accounts import api as accounts_api
from api import views
from cohorts import api as cohorts_api
from curriculum import api as curriculum_api
from feedback import api as feedback_api
from insights import api as insights_api
from notifications import api as notifications_api
from portfolios import api as portfolios_api
from privacy import api as privacy_api
from progress import api as progress_api
from reports import api as reports_api
from rubrics import api as rubrics_api
from submissions import api as submissions_api

app_name = "api"

router = SimpleRouter()

# accounts
router.register("tokens", accounts_api.TokenViewSet, basename="token")
# curriculum
router.register("bloom-levels", curriculum_api.BloomLevelViewSet, basename="bloom-level")
router.register("courses", curriculum_api.CourseViewSet, basename="course")
router.register(r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)/weeks", curriculum_api.WeekViewSet, basename="week")
router.register(
    r"courses/(?P<course_slug>[-a-zA-Z0-9_]+)/weeks/(?P<week_number>[0-9]{1,5})/objectives",
    curriculum_api.ObjectiveViewSet,
    basename="objective",
)
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
router.register(
    r"cohorts/(?P<cohort_slug>[-a-zA-Z0-9_]+)/invitations", cohorts_api.InvitationViewSet, basename="invitation"
)
# submissions (the workspace)
router.register("works", submissions_api.WorkViewSet, basename="work")
router.register(r"works/(?P<work_id>[0-9]{1,18})/revisions", submissions_api.RevisionViewSet, basename="revision")
router.register(r"works/(?P<work_id>[0-9]{1,18})/artifacts", submissions_api.ArtifactViewSet, basename="artifact")
router.register(r"works/(?P<work_id>[0-9]{1,18})/risks", submissions_api.RiskEntryViewSet, basename="risk-entry")
router.register(
    r"works/(?P<work_id>[0-9]{1,18})/improve-items", submissions_api.ImproveItemViewSet, basename="improve-item"
)
# notifications
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")
# reports
router.register("reports", reports_api.ReportRunViewSet, basename="report")
# review (rubrics)
router.register("review/queue", rubrics_api.ReviewQueueViewSet, basename="review-queue")
router.register("review/revisions", rubrics_api.ReviewRevisionViewSet, basename="review-revision")
router.register("review/peer", rubrics_api.PeerReviewViewSet, basename="review-peer")
router.register(
    r"review/revisions/(?P<revision_id>[0-9]{1,18})/assessments", rubrics_api.AssessmentViewSet, basename="assessment"
)
# feedback (comment threads)
router.register(
    r"feedback/revisions/(?P<revision_id>[0-9]{1,18})/threads",
    feedback_api.RevisionThreadViewSet,
    basename="revision-thread",
)
router.register("feedback/threads", feedback_api.ThreadViewSet, basename="thread")
# portfolios
router.register("portfolio/entries", portfolios_api.MyEntryViewSet, basename="portfolio-entry")
router.register("portfolios", portfolios_api.PublicPortfolioViewSet, basename="portfolio")
# privacy (a person's own data)
router.register("me/exports", privacy_api.DataExportViewSet, basename="data-export")
router.register("me/erasure-requests", privacy_api.ErasureRequestViewSet, basename="erasure-request")

urlpatterns = [
    path("schema/", views.SchemaGeneratedOnceView.as_view(), name="schema"),
    # A person reading the docs reloads them freely; the page itself costs nothing to serve.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema", throttle_classes=[]), name="docs"),
    path("v1/me/", accounts_api.MeView.as_view(), name="me"),
    path("v1/portfolio/", portfolios_api.MyPortfolioView.as_view(), name="my-portfolio"),
    # progress (a learner's grades and mastery)
    path(
        "v1/cohorts/<slug:cohort_slug>/students/<int:student_id>/grades/",
        progress_api.GradesView.as_view(),
        name="student-grades",
    ),
    path(
        "v1/cohorts/<slug:cohort_slug>/students/<int:student_id>/mastery/",
        progress_api.MasteryView.as_view(),
        name="student-mastery",
    ),
    path("v1/cohorts/<slug:cohort_slug>/mastery-rule/", rubrics_api.MasteryRuleView.as_view(), name="mastery-rule"),
    # insights (a cohort seen by its staff)
    path("v1/cohorts/<slug:cohort_slug>/at-risk/", insights_api.AtRiskView.as_view(), name="cohort-at-risk"),
    path("v1/cohorts/<slug:cohort_slug>/turnaround/", insights_api.TurnaroundView.as_view(), name="cohort-turnaround"),
    path("v1/", include((router.urls, "v1"))),
    # Last: anything else under /api/ is a problem+json 404, not the HTML page.
    re_path(r"^(?P<path>[\s\S]*)$", views.not_found, name="not-found"),
]
