from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login
from core import views as core_views

from . import views

# The admin has no sign-in page of its own: it sends people through allauth, whose rate
# limits and second factor then protect it too.
admin.site.login = admin_login
admin.site.site_header = "Course platform administration"
admin.site.site_title = "Course platform admin"

urlpatterns = [
    path("start/", views.after_sign_in, name="after_sign_in"),
    path("markdown/preview/", core_views.markdown_preview, name="markdown_preview"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("cohorts/", include("cohorts.urls")),
    path("review/", include("rubrics.urls")),
    path("feedback/", include("feedback.urls")),
    path("progress/", include("progress.urls")),
    path("insights/", include("insights.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("calendar/", include("calendars.urls")),
    path("lti/", include("lti.urls")),
    path("privacy/", include("privacy.urls")),
    path("api/", include("courseplatform.api_urls")),
    path("", include("credentials.urls")),
    path("", include("portfolios.urls")),
    path("", include("submissions.urls")),
    path("", include("curriculum.urls")),
]

# /api/ paths answer errors with problem+json; other paths get the normal HTML pages.
handler404 = "api.views.page_not_found"
handler500 = "api.views.server_error"
