"""Writing files through Django's storage when the storage itself fails.

A read-only media directory (EROFS), a full disk (ENOSPC), a permission or quota problem
(EACCES, EDQUOT) or an object store that is away are not the user's fault and not a bug: the
request answers 503 with a message saying so, and nothing half-written is left behind (a
full disk once kept three partial uploads that kept it full).
"""

import logging

from django.core.files import File
from django.core.files.storage import Storage

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
