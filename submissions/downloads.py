"""How an evidence file leaves the platform: the workspace page, the review pages and the
API all serve artifacts through `artifact_file_response`, so the name, type and safety
headers are decided once."""

from django.http import FileResponse, Http404

from . import uploads
from .models import Artifact

# The media types a download may declare (uploads.download_content_type), for the API schema.
DOWNLOAD_TYPES = sorted({*uploads.BINARY_TYPES, "text/plain", "application/octet-stream"})


def artifact_filename(artifact: Artifact, *, neutral: bool = False) -> str:
    """The original name, or a neutral `evidence-<id>.<ext>` for reviewers who must not
    learn the author's identity from it."""
    if neutral:
        extension = artifact.original_name.rsplit(".", 1)[-1][:10] if "." in artifact.original_name else "bin"
        return f"evidence-{artifact.pk}.{extension}"
    return artifact.original_name or f"evidence-{artifact.pk}"


def artifact_file_response(artifact: Artifact, *, neutral_name: bool = False) -> FileResponse:
    """The stored file as an attachment with a safe type, nosniff and a sandbox CSP, so
    nothing uploaded can run as a page of this site; a file missing from storage is a 404."""
    try:
        handle = artifact.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=artifact_filename(artifact, neutral=neutral_name),
        content_type=uploads.download_content_type(artifact.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
