"""The one way the product writes CSV: every cell a spreadsheet could read as a formula is
neutralised, whoever typed it (a student's name, a risk title, a rubric comment).

Spreadsheet programs evaluate a cell that starts with `=`, `+`, `-` or `@` (and some with a
leading tab or carriage return) as a formula, so a name like `=HYPERLINK(…)` or a title like
`=1+cmd|' /C calc'!A0` would run on the instructor's machine. Such cells get a leading
apostrophe, which spreadsheets show as text (OWASP's advice for CSV injection). Plain numbers,
negative ones included, stay numbers.
"""

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def csv_safe(value: Any) -> str:
    """The cell as text that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeCsvWriter:
    """`csv.writer` with every cell passed through `csv_safe`."""

    def __init__(self, target: _Writable):
        self._writer = csv.writer(target)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_safe(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file-like object that hands back what it is given: for streaming responses."""

    def write(self, text: str) -> str:
        return text


def csv_line_writer() -> SafeCsvWriter:
    """A writer whose `writerow` returns the encoded line instead of writing it, for a
    `StreamingHttpResponse` that yields one line at a time."""
    return SafeCsvWriter(_Echo())
