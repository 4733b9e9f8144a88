from django.urls import path, re_path

from . import views

app_name = "portfolios"

# Also matched by portfolios.middleware.PublicPageMiddleware, before URL resolution.
PUBLIC_PAGE_PATH = r"^p/(?P<slug>[^/]{1,100})/$"

urlpatterns = [
    # Any slug reaches the view, so an ill-formed one gets the same 404 as an unknown or private one.
    re_path(PUBLIC_PAGE_PATH, views.public_page, name="public"),
    re_path(r"^p/(?P<slug>[^/]{1,100})/artifacts/(?P<pk>[0-9]{1,18})/$", views.public_download, name="download"),
    re_path(
        r"^p/(?P<slug>[^/]{1,100})/artifacts/(?P<pk>[0-9]{1,18})/preview/$", views.public_preview, name="proof_preview"
    ),
    path("portfolio/", views.editor, name="editor"),
    path("portfolio/publish/<int:work_id>/", views.publish, name="publish"),
    path("portfolio/entries/<int:pk>/<slug:action>/", views.entry_action, name="entry_action"),
    path("portfolio/export.zip", views.export_zip, name="export_zip"),
    path("portfolio/export.pdf", views.export_pdf, name="export_pdf"),
]
