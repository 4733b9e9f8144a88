"""How a data archive leaves the platform: the "Your data" page and the API both serve it
through `export_file_response`."""

from django.http import FileResponse, Http404

from core.http import attachment_response

from .models import DataExport


def export_file_response(export: DataExport) -> FileResponse:
    """The archive as an attachment (the page and the API both serve it through this)."""
    if export.status != DataExport.Status.SUCCEEDED or not export.file:
        raise Http404("This archive is not ready.")
    try:
        return attachment_response(
            export.file, filename=export.file.name.rsplit("/", 1)[-1], content_type="application/zip"
        )
    except Http404:
        raise Http404("This archive has expired.") from None
