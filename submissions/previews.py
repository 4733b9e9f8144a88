"""Evidence previews: what the scoring page, the workspace, the revision page and the public
portfolio show of an evidence file, so that nobody has to download it to see it.

Nothing the student uploaded is ever served inline. A worker builds a preview from the stored
file (`evidence_preview_build`, run by the task `submissions.build_evidence_preview`):

- an image (PNG, JPEG, GIF, WebP) is decoded with Pillow, only in its detected format, after
  checking its size in pixels (a "decompression bomb" of a few kilobytes that would unpack to
  gigabytes is refused before any pixel is decoded), turned upright by its EXIF orientation,
  shrunk to PREVIEW_MAX_SIDE and encoded again as a new PNG or JPEG without any of the
  original's metadata (EXIF, GPS position, colour profile, comments);
- the first page of a PDF is drawn by poppler's `pdftoppm` in a child process, bounded in wall
  time, CPU time, memory and output size (a PDF that crashes or hangs the renderer ends only
  that process), and its picture goes through the same image step;
- the start of a text or code file (PREVIEW_TEXT_BYTES, PREVIEW_TEXT_LINES) is highlighted
  by Pygments, which escapes it; bytes that are not UTF-8 are shown as replacement
  characters, and a file with NUL bytes (a binary pretending to be text) gets no preview.

A thumbnail is stored through the configured storage (local disk or S3) under a random name;
the row (`EvidencePreview`) says what there is. Whatever goes wrong with one file, the result
is a row saying "failed" and why, never an exception out of the worker: pages then show the
file's name and type, as they do while a preview is still being prepared.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.dispatch import Signal
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from PIL import Image, ImageOps
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from core.http import SANDBOX_CSP
from core.queue import enqueue
from core.storage import StorageUnavailable, open_for_download, save_or_clean_up

from .models import Artifact, EvidencePreview

logger = logging.getLogger(__name__)

# Raise it when the previews' look or safety changes: `build_evidence_previews --stale`
# rebuilds every preview made by an older version.
GENERATOR = 1

IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
PDF_TYPE = "application/pdf"
# Pygments lexers by file extension: a short list of our own instead of Pygments' guessing,
# which tries every lexer's patterns on the text (slow, and more regular expressions to trip).
LEXERS = {
    "py": "python",
    "json": "json",
    "yaml": "yaml",
    "yml": "yaml",
    "md": "markdown",
    "markdown": "markdown",
    "sql": "sql",
    "sh": "bash",
    "js": "javascript",
    "ts": "typescript",
    "go": "go",
    "java": "java",
    "rs": "rust",
    "toml": "toml",
    "ini": "ini",
    "tf": "terraform",
    "csv": "text",
    "log": "text",
    "txt": "text",
}
TYPE_LABELS = {
    "application/pdf": "PDF document",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/gif": "GIF image",
    "image/webp": "WebP image",
    "application/zip": "ZIP archive",
    "application/json": "JSON file",
    "application/yaml": "YAML file",
    "text/markdown": "Markdown file",
    "text/csv": "CSV file",
    "text/plain": "text file",
    "text/x-python": "Python file",
    "text/x-sql": "SQL file",
    "text/x-sh": "shell script",
    "text/javascript": "JavaScript file",
    "text/x-typescript": "TypeScript file",
    "text/x-go": "Go file",
    "text/x-java": "Java file",
    "text/x-rust": "Rust file",
    "text/x-toml": "TOML file",
    "text/x-ini": "INI file",
    "text/x-terraform": "Terraform file",
}

# Sent once a preview is ready (after its transaction committed) with `artifact_id`: a page
# cached by an app above (the public portfolio) renders it again. Never sent for a failure:
# the page already shows the name and type.
preview_ready = Signal()


class PreviewRefused(Exception):
    """This file gets no preview; the message says why (kept on the row, for staff)."""


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class TextPreview:
    html: str
    lines: int
    truncated: bool


def type_label(content_type: str) -> str:
    """A person's word for a stored content type ("PDF document", "Python file")."""
    if content_type in TYPE_LABELS:
        return TYPE_LABELS[content_type]
    if content_type.startswith("text/x-"):
        return f"{content_type.removeprefix('text/x-').capitalize()} file"
    return content_type or "file"


def has_preview_kind(artifact: Artifact) -> bool:
    """Whether a preview can be built for this artifact at all (a file of a type we draw)."""
    return artifact.kind == Artifact.Kind.FILE and (
        artifact.content_type in IMAGE_FORMATS or artifact.content_type == PDF_TYPE or _is_text(artifact.content_type)
    )


def _is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in ("application/json", "application/yaml")


# --- Building --------------------------------------------------------------------------------


def thumbnail_from_image(data: bytes, *, content_type: str) -> Thumbnail:
    """A new, metadata-free PNG (when the image has transparency) or JPEG of at most
    PREVIEW_MAX_SIDE on its longest side. Raises PreviewRefused."""
    expected = IMAGE_FORMATS.get(content_type)
    if expected is None:
        raise PreviewRefused(f"Not an image type we preview: {content_type}.")
    side = settings.PREVIEW_MAX_SIDE
    try:
        with warnings.catch_warnings():
            # Pillow warns (DecompressionBombWarning) and only raises far above our own limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width * height > settings.PREVIEW_MAX_PIXELS:
                    raise PreviewRefused(
                        f"The image is {width}×{height} pixels, more than the "
                        f"{settings.PREVIEW_MAX_PIXELS:,} a preview decodes."
                    )
                image.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much cheaper
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((side, side), Image.Resampling.LANCZOS)
                transparent = upright.mode in ("RGBA", "LA", "PA") or (
                    upright.mode == "P" and "transparency" in upright.info
                )
                pixels = upright.convert("RGBA" if transparent else "RGB")
    except PreviewRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreviewRefused(f"The image is too large to decode: {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.UnidentifiedImageError) as exc:
        # Truncated, corrupt or lying files: Pillow raises any of these.
        raise PreviewRefused(f"The image could not be read: {exc}"[:290]) from None
    # A fresh image from the raw pixels carries none of the original's info (EXIF, ICC, text).
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if transparent:
        clean.save(out, "PNG", optimize=True)
        kind = "image/png"
    else:
        clean.save(out, "JPEG", quality=82, optimize=True, progressive=True)
        kind = "image/jpeg"
    return Thumbnail(data=out.getvalue(), content_type=kind, width=clean.width, height=clean.height)


def pdftoppm_path() -> str | None:
    return shutil.which(settings.PREVIEW_PDFTOPPM)


def first_page_of_pdf(path: str) -> bytes:
    """The first page of the PDF at `path` as a PNG, drawn by pdftoppm in a bounded child
    process. Raises PreviewRefused when it fails, crashes or runs out of time or memory."""
    program = pdftoppm_path()
    if program is None:
        raise PreviewRefused("pdftoppm (Debian's poppler-utils) is not installed.")
    side = settings.PREVIEW_MAX_SIDE
    timeout = settings.PREVIEW_PDF_TIMEOUT
    with tempfile.TemporaryDirectory(prefix="preview-") as folder:
        target = os.path.join(folder, "page")
        command = [program, "-q", "-f", "1", "-l", "1", "-singlefile", "-png", "-scale-to", str(side), path, target]
        limits = _prlimit(cpu_seconds=timeout, memory_bytes=settings.PREVIEW_PDF_MEMORY_BYTES)
        try:
            # run() kills the child when the time is up; a new session keeps a signal meant
            # for the worker (Ctrl-C, a warm shutdown) from reaching the renderer and back.
            result = subprocess.run(
                [*limits, *command],
                capture_output=True,
                timeout=timeout,
                check=False,
                start_new_session=True,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise PreviewRefused(f"The PDF's first page took more than {timeout} s to draw.") from None
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = reason[-1][:200] if reason else f"exit status {result.returncode}"
            raise PreviewRefused(f"The PDF's first page could not be drawn: {detail}")
        try:
            with open(target + ".png", "rb") as drawn:
                return drawn.read(64 * 1024 * 1024)
        except FileNotFoundError:
            raise PreviewRefused("The PDF's first page could not be drawn: no page.") from None


def _prlimit(*, cpu_seconds: int, memory_bytes: int) -> list[str]:
    """util-linux's prlimit in front of the renderer: limits set in the child itself, not
    through a preexec_fn (unsafe in a process with threads)."""
    program = shutil.which("prlimit")
    if program is None:
        return []
    return [
        program,
        f"--cpu={cpu_seconds}",
        f"--as={memory_bytes}",
        f"--fsize={64 * 1024 * 1024}",
        "--core=0",
        "--",
    ]


def text_preview(data: bytes, *, filename: str) -> TextPreview:
    """The first lines of a text or code file, highlighted and escaped by Pygments."""
    limit = settings.PREVIEW_TEXT_BYTES
    head = data[:limit]
    if b"\x00" in head:
        raise PreviewRefused("The file holds NUL bytes: it is not text.")
    text = head.decode("utf-8", errors="replace")
    if len(data) > limit and "\n" in text:
        text = text[: text.rindex("\n")]  # never end on half a line (or half a character)
    lines = text.splitlines()
    shown = lines[: settings.PREVIEW_TEXT_LINES]
    truncated = len(data) > limit or len(lines) > len(shown)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    lexer = get_lexer_by_name(LEXERS.get(extension, "text"), stripnl=False, ensurenl=False)
    # nowrap: the spans only (the page has the <pre>); classes, not inline styles (the CSP
    # forbids style attributes; static/css/app.css colours them).
    html = highlight("\n".join(shown), lexer, HtmlFormatter(nowrap=True, classprefix="hl-"))
    return TextPreview(html=html, lines=len(shown), truncated=truncated)


def _read_stored(artifact: Artifact) -> bytes:
    """The stored file's bytes, at most one more than the upload limit (a file that grew in
    storage is not ours)."""
    with artifact.file.open("rb") as handle:
        data = handle.read(settings.UPLOAD_MAX_BYTES + 1)
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise PreviewRefused("The stored file is larger than the upload limit.")
    return data


def _thumbnail_of_pdf(data: bytes) -> Thumbnail:
    with tempfile.NamedTemporaryFile(prefix="preview-", suffix=".pdf") as source:
        source.write(data)
        source.flush()
        drawn = first_page_of_pdf(source.name)
    return thumbnail_from_image(drawn, content_type="image/png")


def _build(artifact: Artifact) -> Thumbnail | TextPreview:
    data = _read_stored(artifact)
    if artifact.content_type in IMAGE_FORMATS:
        return thumbnail_from_image(data, content_type=artifact.content_type)
    if artifact.content_type == PDF_TYPE:
        return _thumbnail_of_pdf(data)
    return text_preview(data, filename=artifact.original_name)


def evidence_preview_build(*, artifact_id: int) -> EvidencePreview | None:
    """Build (or rebuild, when made by an older GENERATOR) the preview of one artifact and
    record the outcome. Idempotent: a current preview is left as it is. Storage that is away
    raises (the task retries); everything wrong with the file itself is recorded as failed."""
    artifact = Artifact.objects.filter(pk=artifact_id).first()
    if artifact is None:
        return None  # removed from the draft before the worker came to it
    current = EvidencePreview.objects.filter(artifact_id=artifact_id).first()
    if current and current.generator == GENERATOR and current.status != EvidencePreview.Status.PENDING:
        return current
    if artifact.erased_at or not has_preview_kind(artifact):
        return _record(
            artifact_id,
            status=EvidencePreview.Status.UNSUPPORTED,
            failure="Erased." if artifact.erased_at else f"No preview for {type_label(artifact.content_type)}.",
        )
    try:
        built = _build(artifact)
    except FileNotFoundError:
        return _record(artifact_id, status=EvidencePreview.Status.FAILED, failure="The file is missing from storage.")
    except PreviewRefused as exc:
        logger.info("No preview for artifact %s: %s", artifact_id, exc)
        return _record(artifact_id, status=EvidencePreview.Status.FAILED, failure=str(exc)[:300])
    except (StorageUnavailable, *_transient_storage_errors()):
        raise
    except SoftTimeLimitExceeded:
        return _record(artifact_id, status=EvidencePreview.Status.FAILED, failure="Building the preview took too long.")
    except Exception as exc:  # a decoder's bug must not stop the worker or retry forever
        logger.exception("Building the preview of artifact %s failed", artifact_id)
        return _record(
            artifact_id, status=EvidencePreview.Status.FAILED, failure=f"Unexpected error: {type(exc).__name__}"
        )
    if isinstance(built, TextPreview):
        return _record(
            artifact_id,
            status=EvidencePreview.Status.READY,
            kind=EvidencePreview.Kind.TEXT,
            text_html=built.html,
            text_lines=built.lines,
            truncated=built.truncated,
        )
    extension = "png" if built.content_type == "image/png" else "jpg"
    stored = save_or_clean_up(default_storage, f"previews/{uuid.uuid4().hex}.{extension}", ContentFile(built.data))
    try:
        return _record(
            artifact_id,
            status=EvidencePreview.Status.READY,
            kind=EvidencePreview.Kind.IMAGE,
            image=stored,
            image_type=built.content_type,
            width=built.width,
            height=built.height,
        )
    except BaseException:
        default_storage.delete(stored)
        raise


def _transient_storage_errors() -> tuple[type[Exception], ...]:
    if default_storage.__class__.__module__ == "storages.backends.s3":
        from botocore.exceptions import BotoCoreError

        return (BotoCoreError,)
    return ()


@transaction.atomic
def _record(artifact_id: int, *, status: str, **values) -> EvidencePreview | None:
    """Write the outcome on the one row of this artifact (locked: two workers that built the
    same preview at once leave one thumbnail, not two)."""
    if not Artifact.objects.filter(pk=artifact_id).select_for_update().exists():
        # Removed while we built: nothing to record, and a thumbnail would be an orphan.
        if values.get("image"):
            transaction.on_commit(lambda: default_storage.delete(values["image"]))
        return None
    preview, _ = EvidencePreview.objects.select_for_update().get_or_create(artifact_id=artifact_id)
    previous_image = preview.image.name if preview.image else ""
    fields = {
        "kind": "",
        "image": "",
        "image_type": "",
        "width": 0,
        "height": 0,
        "text_html": "",
        "text_lines": 0,
        "truncated": False,
        "failure": "",
        **values,
        "status": status,
        "generator": GENERATOR,
    }
    for name, value in fields.items():
        setattr(preview, name, value)
    preview.full_clean(exclude=["artifact"])
    preview.save()
    if previous_image and previous_image != preview.image.name:
        transaction.on_commit(lambda: default_storage.delete(previous_image))
    if status == EvidencePreview.Status.READY:
        transaction.on_commit(lambda: preview_ready.send(sender=EvidencePreview, artifact_id=artifact_id))
    return preview


def evidence_preview_give_up(*, artifact_id: int, reason: str) -> None:
    """The worker died building this preview too often (a file that kills its process):
    record it as failed so that pages stop saying "being prepared"."""
    _record(artifact_id, status=EvidencePreview.Status.FAILED, failure=reason[:300])


def evidence_preview_request(*, artifact: Artifact) -> None:
    """Mark the artifact's preview as being prepared and start building it after commit.
    Called by the upload service; a type we do not draw gets no row and no task."""
    if not has_preview_kind(artifact):
        return
    EvidencePreview.objects.get_or_create(artifact=artifact)
    enqueue("submissions.build_evidence_preview", artifact.pk)


def evidence_previews_request_missing(*, stale: bool = False, limit: int | None = None) -> int:
    """Start building every preview that is missing (and, with `stale`, every one made by an
    older GENERATOR); returns how many were started. For `manage.py build_evidence_previews`
    after a deploy that brought previews to existing evidence."""
    files = Artifact.objects.filter(kind=Artifact.Kind.FILE, erased_at__isnull=True).exclude(file="")
    missing = files.filter(preview__isnull=True)
    if stale:
        missing = missing | files.filter(preview__generator__lt=GENERATOR)
    ordered = missing.order_by("pk")
    started = 0
    for artifact in (ordered[:limit] if limit else ordered).iterator():
        if has_preview_kind(artifact):
            with transaction.atomic():
                evidence_preview_request(artifact=artifact)
            started += 1
    return started


def evidence_preview_forget(*, artifact: Artifact) -> None:
    """Delete the preview's thumbnail with its artifact (removal from a draft, erasure)."""
    preview = EvidencePreview.objects.filter(artifact=artifact).first()
    if preview is None:
        return
    name = preview.image.name if preview.image else ""
    preview.delete()
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))


# --- Reading, for pages ----------------------------------------------------------------------


def previews_for(artifact_ids: Iterable[int]) -> dict[int, EvidencePreview]:
    """The previews of these artifacts by artifact id, in one query (none for no ids)."""
    ids = sorted({int(i) for i in artifact_ids if i})
    if not ids:
        return {}
    return {p.artifact_id: p for p in EvidencePreview.objects.filter(artifact_id__in=ids)}


def preview_image_response(preview: EvidencePreview | None, *, cache_control: str) -> HttpResponseBase:
    """A ready thumbnail, inline (it is our own re-encoded image, never the upload), with the
    same guards as a download: nosniff and a sandbox CSP. No thumbnail: 404."""
    if preview is None or preview.status != EvidencePreview.Status.READY or preview.kind != EvidencePreview.Kind.IMAGE:
        raise Http404("No preview.")
    try:
        handle, size = open_for_download(preview.image)
    except FileNotFoundError:
        raise Http404("The preview is missing from storage.") from None
    response = FileResponse(handle, content_type=preview.image_type)
    if size is not None:
        response["Content-Length"] = str(size)
    extension = "png" if preview.image_type == "image/png" else "jpg"
    response["Content-Disposition"] = f'inline; filename="preview-{preview.artifact_id}.{extension}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = cache_control
    response["ETag"] = f'"preview-{preview.pk}-{int(preview.updated_at.timestamp())}"'
    return response
