"""Files in Django's storage (local disk or an S3-compatible bucket, STORAGE_BACKEND): writing
them when the storage itself fails, and reading them out for a download.

A read-only media directory (EROFS), a full disk (ENOSPC), a permission or quota problem
(EACCES, EDQUOT) or an object store that is away are not the user's fault and not a bug: the
request answers 503 with a message saying so, and nothing half-written is left behind (a
full disk once kept three partial uploads that kept it full).
"""

import logging
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile

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
    failures = _storage_failures(storage)
    try:
        return storage.save(name, content)
    except failures as exc:
        logger.error("Storage failed writing %s: %s", name, exc)
        try:
            if storage.exists(name):
                storage.delete(name)
        except failures:
            logger.warning("Could not remove the partial file %s", name, exc_info=True)
        raise StorageUnavailable() from exc


def _is_object_storage(storage: Storage) -> bool:
    # By module name: importing django-storages' S3 backend would load boto3 into every
    # process, also where files stay on local disk.
    # `__class__`, not type(): the default storage is a lazy proxy that reports its target's class.
    return storage.__class__.__module__ == "storages.backends.s3"


def _storage_failures(storage: Storage) -> tuple[type[Exception], ...]:
    """What the storage raises when it cannot take a file: OSError from a disk; from an object
    store also botocore's errors (unreachable endpoint, refused or throttled request)."""
    if _is_object_storage(storage):
        from botocore.exceptions import BotoCoreError, ClientError

        return (OSError, BotoCoreError, ClientError)
    return (OSError,)


def open_for_download(fieldfile: FieldFile) -> tuple[BinaryIO, int | None]:
    """A stored file opened for streaming to a client, with its size when known.

    On object storage the bucket's own response body is handed on chunk by chunk: opening
    the file through django-storages would first copy the whole object into this process's
    memory (a 50 MB report, once per download). A file missing from storage raises
    FileNotFoundError, on every backend."""
    storage = fieldfile.storage
    if _is_object_storage(storage):
        from botocore.exceptions import ClientError

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
