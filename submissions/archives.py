"""Inspecting uploaded ZIP archives before they are stored.

An archive is evidence a mentor will unpack on their own machine, so it is unpacked here
first, in memory and bounded, and refused when it is hostile or cannot be checked:
- more entries than ARCHIVE_MAX_ENTRIES;
- more than ARCHIVE_MAX_UNPACKED_BYTES once unpacked, or unpacking to more than
  ARCHIVE_MAX_RATIO times its own size (a "zip bomb"); sizes are counted while actually
  decompressing, so an archive whose directory understates them is caught too;
- an entry whose name is absolute, climbs out with `..`, uses backslashes or a drive letter
  (path traversal when unpacked), or is a symbolic link;
- an archive inside the archive (by name or by content), which would hide all of the above;
- encrypted entries (they cannot be checked), damaged data (bad CRC) or a file that is not a
  readable ZIP at all.
"""

import stat
import zipfile
from pathlib import PurePosixPath
from typing import IO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat

ARCHIVE_SUFFIXES = (
    ".zip", ".jar", ".war", ".tar", ".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".7z", ".rar", ".zst", ".lz",
    ".lzma", ".cab", ".iso", ".z",
)  # fmt: skip
ARCHIVE_MIMES = {
    "application/zip",
    "application/gzip",
    "application/x-tar",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
    "application/zstd",
    "application/x-lzip",
    "application/vnd.ms-cab-compressed",
    "application/x-compress",
}
CHUNK = 64 * 1024
SNIFF = 262


def _refuse(message: str, code: str) -> ValidationError:
    return ValidationError(f"This ZIP archive was not accepted: {message}", code=code)


def _unsafe_name(name: str) -> str | None:
    """Why unpacking this entry name could write outside the target folder, or None."""
    if "\\" in name:
        return "uses backslashes"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":":
        return "names a drive"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the folder with “..”"
    if "\x00" in name:
        return "contains a NUL character"
    return None


def check_zip_archive(upload: IO[bytes], *, size: int) -> None:
    """Raise ValidationError with a clear reason if the archive is hostile or unreadable."""
    max_entries = settings.ARCHIVE_MAX_ENTRIES
    max_unpacked = settings.ARCHIVE_MAX_UNPACKED_BYTES
    max_total = min(max_unpacked, max(size, 1) * settings.ARCHIVE_MAX_RATIO)
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _refuse("the file is damaged or not a ZIP file.", "archive_damaged") from None
    try:
        entries = archive.infolist()
        if len(entries) > max_entries:
            raise _refuse(f"it has {len(entries):,} entries; the limit is {max_entries:,}.", "archive_entries")
        seen: set[str] = set()
        unpacked = 0
        for entry in entries:
            name = entry.filename
            problem = _unsafe_name(name)
            if problem:
                raise _refuse(f"the entry “{name}” {problem}.", "archive_path")
            if name in seen:
                raise _refuse(f"two entries are named “{name}”.", "archive_path")
            seen.add(name)
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise _refuse(f"the entry “{name}” is a symbolic link.", "archive_link")
            if entry.flag_bits & 0x1:
                raise _refuse(f"the entry “{name}” is encrypted, so it cannot be checked.", "archive_encrypted")
            if entry.is_dir():
                continue
            if name.lower().endswith(ARCHIVE_SUFFIXES):
                raise _refuse(f"it contains another archive (“{name}”). Upload its files directly.", "archive_nested")
            head = b""
            with archive.open(entry) as member:
                while chunk := member.read(CHUNK):
                    if not head:
                        head = chunk[:SNIFF]
                    unpacked += len(chunk)
                    if unpacked > max_total:
                        if unpacked > max_unpacked:
                            reason = f"it unpacks to more than {filesizeformat(max_unpacked)}"
                        else:
                            reason = f"it unpacks to more than {settings.ARCHIVE_MAX_RATIO} times its own size"
                        raise _refuse(f"{reason}.", "archive_too_large")
            kind = filetype.guess(head) if head else None
            if kind is not None and kind.mime in ARCHIVE_MIMES:
                raise _refuse(f"it contains another archive (“{name}”). Upload its files directly.", "archive_nested")
    except zipfile.BadZipFile:
        raise _refuse("its data is damaged (a checksum does not match).", "archive_damaged") from None
    except (NotImplementedError, RuntimeError, EOFError, OSError, ValueError):
        # An unsupported compression method, or data that ends early.
        raise _refuse("it uses a compression the platform cannot check, or is damaged.", "archive_damaged") from None
    finally:
        archive.close()
        upload.seek(0)
