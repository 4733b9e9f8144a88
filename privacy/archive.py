"""The export archive: a zip file written straight to disk, one entry at a time, so neither
evidence files nor the archive are ever held in memory whole."""

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

CHUNK = 1024 * 1024


class ZipArchive:
    """Implements core.privacy.ExportArchive over a zip file at `path`; records the size and
    SHA-256 of every entry for the archive's manifest."""

    def __init__(self, path: Path, *, root: str) -> None:
        self.root = root.strip("/")
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True)
        self.manifest: list[dict[str, Any]] = []
        self.missing: list[str] = []

    def _entry(self, path: str):
        return self.zip.open(f"{self.root}/{path}", "w", force_zip64=True)

    def add_bytes(self, path: str, data: bytes) -> None:
        with self._entry(path) as sink:
            sink.write(data)
        self.manifest.append({"path": path, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})

    def add_json(self, path: str, data: Any) -> None:
        self.add_bytes(path, json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder).encode())

    def add_file(self, path: str, source: Any) -> bool:
        digest = hashlib.sha256()
        size = 0
        try:
            handle = source.open("rb")
        except (FileNotFoundError, ValueError):
            self.missing.append(path)
            return False
        with handle, self._entry(path) as sink:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                sink.write(chunk)
                size += len(chunk)
        self.manifest.append({"path": path, "size": size, "sha256": digest.hexdigest()})
        return True

    def close(self) -> None:
        self.zip.close()
