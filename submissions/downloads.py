"""How an evidence file leaves the platform: the workspace page, the review pages and the
API all serve artifacts through `artifact_file_response`, so the name and type are decided
once (the safety headers are core.http's)."""

from django.http import FileResponse

from core.http import attachment_response

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
    """The stored file as a safe attachment (core.http.attachment_response: nosniff, sandbox
    CSP, private and uncached; a file missing from storage is a 404)."""
    return attachment_response(
        artifact.file,
        filename=artifact_filename(artifact, neutral=neutral_name),
        content_type=uploads.download_content_type(artifact.content_type),
    )
