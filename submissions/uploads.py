"""Checking and storing evidence files.

The type is decided by the content: binary formats by their magic bytes (the `filetype`
package), text formats by decoding as UTF-8 and refusing anything that looks like markup
a browser would execute (HTML, SVG, XML). The file name must agree with what the content
is, so `report.pdf` holding a PNG, or `notes.txt` holding HTML, is refused. Files are
stored through Django's storage API under a random name.
"""

import hashlib
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat

from core.storage import save_or_clean_up

from .archives import check_zip_archive

# Detected MIME type → (canonical extension, extensions a file name may carry)
BINARY_TYPES = {
    "application/pdf": ("pdf", {"pdf"}),
    "image/png": ("png", {"png"}),
    "image/jpeg": ("jpg", {"jpg", "jpeg"}),
    "image/gif": ("gif", {"gif"}),
    "image/webp": ("webp", {"webp"}),
    "application/zip": ("zip", {"zip"}),
}
# Text extension → stored content type
TEXT_TYPES = {
    "txt": "text/plain",
    "log": "text/plain",
    "md": "text/markdown",
    "markdown": "text/markdown",
    "csv": "text/csv",
    "json": "application/json",
    "yaml": "application/yaml",
    "yml": "application/yaml",
    # Code: downloaded as plain text like the rest, previewed highlighted (submissions/previews.py).
    "py": "text/x-python",
    "sql": "text/x-sql",
    "sh": "text/x-sh",
    "js": "text/javascript",
    "ts": "text/x-typescript",
    "go": "text/x-go",
    "java": "text/x-java",
    "rs": "text/x-rust",
    "toml": "text/x-toml",
    "ini": "text/x-ini",
    "tf": "text/x-terraform",
}
MARKUP_SIGNS = ("<html", "<!doctype", "<script", "<svg", "<?xml", "<body", "<iframe", "<head", "<object", "<embed")
SNIFF_BYTES = 8192
ALLOWED_DESCRIPTION = (
    "PDF, PNG, JPEG, GIF, WebP, ZIP, text (.txt, .log, .md, .csv, .json, .yaml) "
    "or code (.py, .sql, .sh, .js, .ts, .go, .java, .rs, .toml, .ini, .tf)"
)


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size: int
    sha256: str


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(upload: File) -> CheckedUpload:
    """Validate size and type from the content; raise ValidationError with a clear reason."""
    limit = settings.UPLOAD_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        shown, shown_limit = filesizeformat(size), filesizeformat(limit)
        # Rounded to one decimal a file just over the limit looks equal to it ("10.0 MB; the
        # limit is 10.0 MB"), so then only say that it is larger.
        message = (
            f"The file is larger than the {shown_limit} limit."
            if shown == shown_limit
            else f"The file is {shown}; the limit is {shown_limit}."
        )
        raise ValidationError(message, code="too_large")
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = upload.name or ""
    extension = _extension(name)

    kind = filetype.guess(head)
    if kind is not None:
        if kind.mime not in BINARY_TYPES:
            raise ValidationError(
                f"Files of type {kind.mime} are not accepted. Allowed: {ALLOWED_DESCRIPTION}.", code="type"
            )
        canonical, accepted = BINARY_TYPES[kind.mime]
        if extension not in accepted:
            raise ValidationError(
                f"The name “{name}” does not match its content, which is {kind.mime}. "
                f"Rename it to end in .{canonical}.",
                code="name_mismatch",
            )
        if kind.mime == "application/zip":
            check_zip_archive(upload, size=size)
        return CheckedUpload(content_type=kind.mime, extension=canonical, size=size, sha256=digest.hexdigest())

    # Not a known binary format: accept only clean UTF-8 text that is not markup.
    if b"\x00" in head:
        raise ValidationError(f"This file type is not accepted. Allowed: {ALLOWED_DESCRIPTION}.", code="type")
    try:
        text = b"".join(upload.chunks()).decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"This file type is not accepted. Allowed: {ALLOWED_DESCRIPTION}.", code="type") from None
    finally:
        upload.seek(0)
    lowered = text[:SNIFF_BYTES].lstrip("\ufeff \t\r\n").lower()
    looks_like_markup = lowered.startswith("<") and any(sign in lowered for sign in MARKUP_SIGNS)
    if looks_like_markup or any(sign in lowered[:1024] for sign in ("<script", "<svg", "<html", "<!doctype")):
        raise ValidationError(
            "HTML, SVG and XML files are not accepted (they could run code in a browser). "
            "Export a PDF or a screenshot instead.",
            code="markup",
        )
    if extension not in TEXT_TYPES:
        raise ValidationError(
            f"The name “{name}” does not match its content, which is plain text. "
            "Use .txt, .log, .md, .csv, .json or .yaml (or a code file's own extension, such as .py).",
            code="name_mismatch",
        )
    return CheckedUpload(content_type=TEXT_TYPES[extension], extension=extension, size=size, sha256=digest.hexdigest())


def store_upload(upload: File, checked: CheckedUpload) -> str:
    """Save under a random name (never the user's) and return the stored name. Raises
    core.storage.StorageUnavailable (leaving no partial file) when the storage fails."""
    name = f"evidence/{uuid.uuid4().hex}.{checked.extension}"
    upload.seek(0)
    return save_or_clean_up(default_storage, name, upload)


def download_content_type(content_type: str) -> str:
    """What the download response declares: text as plain text, known binaries as
    themselves, anything else as opaque bytes (never HTML or SVG)."""
    if content_type.startswith("text/") or content_type in ("application/json", "application/yaml"):
        return "text/plain; charset=utf-8"
    if content_type in BINARY_TYPES:
        return content_type
    return "application/octet-stream"
