"""Writers: turn a ReportDocument into a CSV, HTML or PDF file on disk.

CSV and HTML are written row by row as the generator produces them, so memory does not
grow with the number of students. The PDF is laid out by WeasyPrint in parts of a few
hundred rows, joined page by page with pypdf, for the same reason.
"""

import gc
import logging
import multiprocessing
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import IO

from django.template.loader import render_to_string
from django.utils.html import escape

from core.csv import csv_line_writer
from submissions.models import WORK_STATUSES

from . import pdf_layout
from .generators import PdfCell, ReportDocument, Section

ROWS_PER_WRITE = 200
PDF_ROWS_PER_PART = 200
# The width of a run of marks in the PDF (generators.PdfCell), from report.css's type for
# table.wide: 6.5 pt DejaVu Sans Mono, whose every character advances 0.602 em.
WIDE_FONT_PT = 6.5
MONO_CHAR_EM = 0.602
CELL_PADDING_PT = 5
MISSING_MARK = WORK_STATUSES["missing"].mark

logger = logging.getLogger(__name__)

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
        if value == MISSING_MARK:
            css = ' class="missing"'
        elif value in ("yes",):
            css = ' class="flag"'
        if index == 0 and first_header:
            cells.append(f'<th scope="row"{css}>{text}</th>')
        else:
            cells.append(f"<td{css}>{text}</td>")
    return "<tr>" + "".join(cells) + "</tr>\n"


def _html_pieces(document: ReportDocument) -> Iterator[str]:
    """The page in pieces: the head, and for each section its heading, batches of rows and its end."""
    yield render_to_string("reports/export/head.html", {"document": document, "inline_css": True})
    for section in document.sections:
        yield render_to_string("reports/export/section_head.html", {"section": section})
        batch: list[str] = []
        for row in section.rows:
            batch.append(_row_html(row, first_header=True))
            if len(batch) >= ROWS_PER_WRITE:
                yield "".join(batch)
                batch.clear()
        if batch:
            yield "".join(batch)
        yield render_to_string("reports/export/section_foot.html", {"section": section})
    yield render_to_string("reports/export/foot.html", {"document": document})


def write_html(document: ReportDocument, target: IO[str]) -> None:
    """A self-contained page (inline CSS, no scripts, nothing loaded from elsewhere)."""
    for html in _html_pieces(document):
        target.write(html)


_refuse_urls = pdf_layout.refuse_urls


def _run_lines(values: list[str], cell: PdfCell) -> str:
    """Values padded to one width, `per_line` to a line: in a monospace font they line up
    under the header's labels, set the same way."""
    padded = [value.ljust(cell.mark_width) for value in values]
    lines = [" ".join(padded[i : i + cell.per_line]).rstrip() for i in range(0, len(padded), cell.per_line)]
    return escape("\n".join(lines))


class _PdfTable:
    """How a section is set in the PDF: a table with fixed column widths (WeasyPrint then
    never measures every cell to size the columns, a seventh of the time it took), and,
    for a section with `pdf_cells`, a few cells per row instead of one per column."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.cells = section.pdf_cells
        columns = section.columns
        if self.cells is None:
            self.header = [(escape(label), "") for label in columns]
            self.widths: list[str] = []
            self.keys: list[str] = []
            return
        self.header = []
        self.widths = []
        for cell in self.cells:
            labels = columns[cell.start : cell.end]
            if cell.kind == "run":
                self.header.append((_run_lines(list(cell.labels or labels), cell), "run"))
                per_line = min(cell.per_line, cell.end - cell.start)
                width = (per_line * (cell.mark_width + 1) - 1) * MONO_CHAR_EM * WIDE_FONT_PT + CELL_PADDING_PT
                self.widths.append(f"{width:.1f}pt")
            else:
                self.header.append((escape("\n".join(labels)), "stack"))
                self.widths.append(f"{cell.width_pt}pt" if cell.width_pt else "auto")
        self.keys = [cell.key for cell in self.cells if cell.key]

    def head(self, *, continued: bool) -> str:
        context = {
            "section": self.section,
            "header": self.header,
            "widths": self.widths,
            "keys": self.keys,
            "continued": continued,
        }
        return render_to_string("reports/export/pdf_section_head.html", context)

    def row(self, row: list[str]) -> str:
        if self.cells is None:
            return _row_html(row, first_header=True)
        html = ["<tr>"]
        for index, cell in enumerate(self.cells):
            values = row[cell.start : cell.end]
            if cell.kind == "run":
                css, text = "run", _run_lines(values, cell)
            else:
                css = "stack flag" if values and values[0] == "yes" else "stack"
                text = escape("\n".join(value for value in values if value))
            if index == 0:
                html.append(f'<th scope="row" class="{css}">{text}</th>')
            else:
                html.append(f'<td class="{css}">{text}</td>')
        html.append("</tr>\n")
        return "".join(html)


class _LayoutHelpers:
    """REPORTS_PDF_PROCESSES helper processes laying parts out (reports/pdf_layout.py), started
    at the first part of a report that has several. At most two parts per helper wait at a time,
    so the build's memory does not grow with parts read ahead of the layout. With one process
    configured, or where helpers cannot be started, `submit` declines and the caller lays the
    part out itself."""

    def __init__(self, stylesheet: str) -> None:
        from django.conf import settings

        self.stylesheet = stylesheet
        self.processes = settings.REPORTS_PDF_PROCESSES
        self.executor = None
        self.pending: list = []
        self.started = False

    def submit(self, html: str, path: Path) -> bool:
        if self.processes < 2:
            return False
        if self.executor is None:
            if self.started:
                return False  # they could not be started: the build goes on in-process
            self.started = True
            try:
                self.executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=pdf_layout.start,
                    initargs=(self.stylesheet,),
                )
            except (OSError, AssertionError) as exc:  # e.g. a daemonic process may have no children
                logger.warning("PDF layout helpers not started (%s); laying out in the build's process", exc)
                return False
        while len(self.pending) >= 2 * self.processes:
            self.pending.pop(0).result()
        self.pending.append(self.executor.submit(pdf_layout.lay_out, html, str(path)))
        return True

    def wait(self) -> None:
        for future in self.pending:
            future.result()  # a helper's failure fails the build, as an in-process one would
        self.pending.clear()

    def stop(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None


def write_pdf(
    document: ReportDocument, directory: Path, target: IO[bytes], on_phase: Callable[[str], None] | None = None
) -> None:
    """Lay the document out in parts of PDF_ROWS_PER_PART rows (WeasyPrint holds a whole
    document in memory while it lays it out, and that grows with table rows), then join the
    parts' pages into one PDF. Each part repeats the table header; the first carries the
    title and notes. The stylesheet is parsed once and the fonts are loaded once for all
    the parts (as an inline <style> it was parsed again for every part). A report of several
    parts has them laid out by REPORTS_PDF_PROCESSES helper processes side by side
    (reports/pdf_layout.py): layout is CPU-bound, and one process used one core."""
    # Imported here: weasyprint loads Pango, and pypdf is needed only to merge PDF parts.
    import weasyprint
    from pypdf import PdfWriter
    from weasyprint.text.fonts import FontConfiguration

    css = render_to_string("reports/export/report.css", {"document": document})
    fonts = FontConfiguration()
    stylesheet = weasyprint.CSS(string=css, font_config=fonts)
    foot = render_to_string("reports/export/foot.html", {"document": document})
    section_foot = render_to_string("reports/export/section_foot.html", {})
    parts: list[Path] = []
    helpers = _LayoutHelpers(css)

    def lay_out(html: str, *, tagged: bool = False, last: bool = False) -> None:
        path = directory / f"part-{len(parts) + 1:04d}.pdf"
        parts.append(path)
        # A report of one part is laid out here (tagged, no helper started); with more, every
        # part goes to the helper processes while this one reads the next rows.
        if not (last and not helpers.started) and helpers.submit(html, path):
            return
        weasyprint.HTML(string=html, url_fetcher=_refuse_urls).write_pdf(
            target=str(path), stylesheets=[stylesheet], font_config=fonts, pdf_tags=tagged
        )
        # A laid-out part is a web of boxes referring to each other: only the cycle collector
        # frees it, and left to its own thresholds it let several parts' garbage pile up (the
        # peak grew with the cohort, about 3 MB more at 8 parts than at 2). Collecting here
        # keeps the peak at one part's layout.
        gc.collect()

    pieces = [render_to_string("reports/export/head.html", {"document": document})]
    for section in document.sections:
        table = _PdfTable(section)
        pieces.append(table.head(continued=False))
        rows_in_part = 0
        for row in section.rows:
            if rows_in_part >= PDF_ROWS_PER_PART:
                lay_out("".join([*pieces, section_foot, foot]))
                pieces = [
                    render_to_string("reports/export/head.html", {"document": document, "continued": True}),
                    table.head(continued=True),
                ]
                rows_in_part = 0
            pieces.append(table.row(row))
            rows_in_part += 1
        pieces.append(section_foot)
    if on_phase:
        on_phase("laying_out")  # every row is read; what is left is layout, the slow part
    try:
        lay_out("".join([*pieces, foot]), tagged=not parts, last=True)  # the only part: see below
        helpers.wait()
    finally:
        helpers.stop()
    if on_phase:
        on_phase("writing")
    if len(parts) == 1:
        # One part is the whole document: kept as WeasyPrint wrote it, a tagged PDF (headings,
        # tables, header cells) that screen readers follow. Joining parts with pypdf drops the
        # tags' structure tree, so a report of more than PDF_ROWS_PER_PART students is untagged.
        with parts[0].open("rb") as source:
            shutil.copyfileobj(source, target)
        return
    writer = PdfWriter()
    for path in parts:
        writer.append(str(path))
    writer.write(target)
