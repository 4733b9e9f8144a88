"""Files in Django's storage (local disk or an S3-compatible bucket, STORAGE_BACKEND): writing
them when the storage itself fails, and reading them out for a download.

A read-only media directory (EROFS), a full disk (ENOSPC), a permission or quota problem
(EACCES, EDQUOT) or an object store that is away are not the user's fault and not a bug: the
request answers 503 with a message saying so, and nothing half-written is left behind (a
full disk once kept three partial uploads that kept it full).
"""

import logging
from typing import BinaryIO

from botocore.exceptions import ClientError
from django.core.files import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = (
    "The file could not be stored: file storage is unavailable right now (it is full or read-only). "
    "Nothing was saved from this upload; your other work is unchanged. Please try again later."
)


class StorageUnavailable(Exception):
    """The storage could not take the file. Pages show `message`; the API answers 503."""

    def __init__(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        super().__init__(message)
        self.message = message


def save_or_clean_up(storage: Storage, name: str, content: File) -> str:
    """`storage.save(name, content)`; on a storage failure, remove whatever part of the file
    was written and raise StorageUnavailable."""
    try:
        return storage.save(name, content)
    except OSError as exc:
        logger.error("Storage failed writing %s: %s", name, exc)
        try:
            if storage.exists(name):
                storage.delete(name)
        except OSError:
            logger.warning("Could not remove the partial file %s", name, exc_info=True)
        raise StorageUnavailable() from exc


def open_for_download(fieldfile: FieldFile) -> tuple[BinaryIO, int | None]:
    """A stored file opened for streaming to a client, with its size when known.

    On object storage the bucket's own response body is handed on chunk by chunk: opening
    the file through django-storages would first copy the whole object into this process's
    memory (a 50 MB report, once per download). A file missing from storage raises
    FileNotFoundError, on every backend."""
    storage = fieldfile.storage
    if isinstance(storage, S3Storage):
        stored = storage.open(fieldfile.name, "rb")  # a HEAD request: FileNotFoundError when missing
        try:
            answer = stored.obj.get()
        except ClientError as exc:
            # Deleted between the HEAD and the GET (an erasure or the retention sweep).
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(fieldfile.name) from exc
            raise
        return answer["Body"], answer.get("ContentLength")
    # Django's FileResponse measures a local file itself.
    return fieldfile.open("rb"), None
