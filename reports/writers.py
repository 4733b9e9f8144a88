"""Writers: turn a ReportDocument into a CSV, HTML or PDF file on disk.

CSV and HTML are written row by row as the generator produces them, so memory does not
grow with the number of students. The PDF is laid out by WeasyPrint in parts of a few
hundred rows, joined page by page with pypdf, for the same reason.
"""

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from django.template.loader import render_to_string
from django.utils.html import escape

from core.csv import csv_line_writer
from submissions.models import WORK_STATUSES

from .generators import ReportDocument, Section

ROWS_PER_WRITE = 200
MISSING_LETTER = WORK_STATUSES["missing"].letter

# WeasyPrint logs every layout step at INFO; a report build (or seed_demo) needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def csv_lines(document: ReportDocument) -> Iterator[str]:
    """The CSV file line by line: one header row and the data rows; a document with several
    sections (the student report) puts each section's title on its own row before its header,
    and a blank row between sections. Every cell is neutralised against spreadsheet formulas
    (core.csv). A report run writes these lines to its file (write_csv); the gradebook page's
    export streams them (views.gradebook_csv)."""
    writer = csv_line_writer()
    for index, section in enumerate(document.sections):
        if document.sectioned:
            if index:
                yield writer.writerow([])
            yield writer.writerow([section.title])
        yield writer.writerow(section.columns)
        for row in section.rows:
            yield writer.writerow(row)


def write_csv(document: ReportDocument, target: IO[str]) -> None:
    batch: list[str] = []
    for line in csv_lines(document):
        batch.append(line)
        if len(batch) >= ROWS_PER_WRITE:
            target.write("".join(batch))
            batch.clear()
    target.write("".join(batch))


def _row_html(row: list[str], first_header: bool) -> str:
    cells = []
    for index, value in enumerate(row):
        text = escape(value)
        css = ""
        if value == MISSING_LETTER:
            css = ' class="missing"'
        elif value in ("yes",):
            css = ' class="flag"'
        if index == 0 and first_header:
            cells.append(f'<th scope="row"{css}>{text}</th>')
        else:
            cells.append(f"<td{css}>{text}</td>")
    return "<tr>" + "".join(cells) + "</tr>\n"


def _html_pieces(document: ReportDocument) -> Iterator[tuple[str, str, Section | None]]:
    """The page as (kind, html, section) pieces: "head", "section_head", "rows" (a batch
    of rows), "section_foot", "foot"."""
    yield "head", render_to_string("reports/export/head.html", {"document": document}), None
    for section in document.sections:
        yield "section_head", render_to_string("reports/export/section_head.html", {"section": section}), section
        batch: list[str] = []
        for row in section.rows:
            batch.append(_row_html(row, first_header=True))
            if len(batch) >= ROWS_PER_WRITE:
                yield "rows", "".join(batch), section
                batch.clear()
        if batch:
            yield "rows", "".join(batch), section
        yield "section_foot", render_to_string("reports/export/section_foot.html", {"section": section}), section
    yield "foot", render_to_string("reports/export/foot.html", {"document": document}), None


def write_html(document: ReportDocument, target: IO[str]) -> None:
    """A self-contained page (inline CSS, no scripts, nothing loaded from elsewhere)."""
    for _kind, html, _section in _html_pieces(document):
        target.write(html)


def _refuse_urls(url: str, *args, **kwargs):
    raise ValueError(f"Report PDFs load nothing from outside: {url}")


def write_pdf(
    document: ReportDocument, directory: Path, target: IO[bytes], on_phase: Callable[[str], None] | None = None
) -> None:
    """Lay the document out in parts of ROWS_PER_WRITE rows (WeasyPrint holds a whole
    document in memory while it lays it out, and that grows fast with table rows), then
    join the parts' pages into one PDF. Each part repeats the table header; the first
    carries the title and notes."""
    # Imported here: weasyprint loads Pango, and pypdf is needed only to merge PDF parts.
    import weasyprint
    from pypdf import PdfWriter

    head = ""
    parts: list[Path] = []
    pieces: list[str] = []
    open_section: Section | None = None

    def flush(continued: bool) -> None:
        if not pieces:
            return
        if open_section is not None and continued:
            pieces.append(render_to_string("reports/export/section_foot.html", {"section": open_section}))
        pieces.append(render_to_string("reports/export/foot.html", {"document": document}))
        path = directory / f"part-{len(parts) + 1:04d}.pdf"
        weasyprint.HTML(string="".join(pieces), url_fetcher=_refuse_urls).write_pdf(target=str(path))
        parts.append(path)
        pieces.clear()
        if continued:
            pieces.append(head.split("<body>")[0] + "<body>\n")
            if open_section is not None:
                pieces.append(render_to_string("reports/export/section_head.html", {"section": open_section}))

    rows_in_part = 0
    previous = ""
    for kind, html, section in _html_pieces(document):
        if kind == "foot":
            break
        if kind == "head":
            head = html
        if kind == "rows" and previous == "rows" and rows_in_part >= ROWS_PER_WRITE:
            flush(continued=True)
            rows_in_part = 0
        if kind == "rows":
            rows_in_part += html.count("<tr>")
        pieces.append(html)
        open_section = section if kind in ("section_head", "rows") else None
        previous = kind
    if on_phase:
        on_phase("laying_out")  # every row is read; what is left is layout, the slow part
    flush(continued=False)
    if on_phase:
        on_phase("writing")
    writer = PdfWriter()
    for path in parts:
        writer.append(str(path))
    writer.write(target)
