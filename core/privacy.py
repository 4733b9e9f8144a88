"""The contract between the apps and the `privacy` app (a learner's export and erasure).

Each app that stores something about a person has a `privacy.py` module with a
`PROVIDER = DataProvider(...)`: the models it answers for, how it writes them into a
person's export archive and how it erases or pseudonymises them. The `privacy` app, at the
top of the layers, collects the providers (as Moodle's privacy providers) and runs them; a
test fails when a model with a foreign key to the user is covered by no provider. This
module is plumbing: it knows no domain app, so every app can import it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.utils import timezone

from .models import TaskRun
from .queue import outbox_cleanup


class ExportArchive(Protocol):
    """What a provider writes into: JSON documents and files, by path inside the archive."""

    def add_json(self, path: str, data: Any) -> None: ...

    def add_file(self, path: str, source: Any) -> bool:
        """Copy a stored file (a FieldFile) in chunks; False when it is missing from storage."""
        ...


@dataclass
class Erasure:
    """One erasure in progress: whose data, the pseudonym that replaces them, and the
    strings (name, e-mail address) that must not survive in text kept for others."""

    user: Any
    pseudonym: str
    now: datetime
    former_strings: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    #: (storage, name) of every file to delete once the database changes are committed, so
    #: a rolled-back erasure never leaves rows pointing at files that are gone.
    files: list[tuple[Any, str]] = field(default_factory=list)

    def count(self, what: str, number: int) -> None:
        if number:
            self.counts[what] = self.counts.get(what, 0) + number

    def delete_file(self, fieldfile: Any) -> None:
        if fieldfile and fieldfile.name:
            self.files.append((fieldfile.storage, fieldfile.name))

    def scrub_text(self, text: str) -> str:
        """`text` with every former name or address of the person replaced by the pseudonym
        (case-insensitive): for text that stays because it belongs to someone else too,
        such as a mentor's comment on the person's work."""
        for former in self.former_strings:
            if former:
                text = re.sub(re.escape(former), self.pseudonym, text, flags=re.IGNORECASE)
        return text

    def mentions(self, text: str) -> bool:
        lowered = text.lower()
        return any(former and former.lower() in lowered for former in self.former_strings)


@dataclass(frozen=True)
class DataProvider:
    """One app's part of a person's data.

    - `models`: the "app_label.ModelName" of every model it answers for (each has a user
      foreign key, or holds the person's data through one);
    - `export(user, archive)`: write what it holds about `user` into the archive;
    - `erase(erasure)`: delete or pseudonymise it, counting what it did with `erasure.count`;
    - `retention()`: delete what is older than the ages in settings (RETENTION_*), returning
      how many of each kind went; the privacy app's scheduled sweep calls it.
    """

    label: str
    models: tuple[str, ...] = ()
    export: Callable[[Any, ExportArchive], None] | None = None
    erase: Callable[[Erasure], None] | None = None
    retention: Callable[[], dict[str, int]] | None = None


def _retention() -> dict[str, int]:
    cutoff = timezone.now() - timedelta(days=settings.RETENTION_TASK_RUNS_DAYS)
    task_runs, _ = TaskRun.objects.filter(
        status__in=[TaskRun.Status.SUCCEEDED, TaskRun.Status.FAILED], finished_at__lt=cutoff
    ).delete()
    return {
        "outbox rows": outbox_cleanup(older_than=timedelta(days=settings.RETENTION_OUTBOX_DAYS)),
        "task runs": task_runs,
    }


# The platform's own bookkeeping: no personal data, only ages.
PROVIDER = DataProvider(label="Background task records", retention=_retention)
