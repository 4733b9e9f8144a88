"""Laying out PDF parts in helper processes (reports.writers.write_pdf).

WeasyPrint's layout is pure Python and the whole of a large report's build time (22 s of CPU for
3,334 students), so a build that lays its parts out one after the other uses one core however
many the machine has. Parts are independent documents, joined page by page afterwards, so
REPORTS_PDF_PROCESSES helper processes lay them out side by side while the build reads the next
rows. The helpers are started with "spawn": a fresh interpreter that imports only this module
and WeasyPrint (no Django, no database connection inherited from the build), each parsing the
stylesheet and loading the fonts once for all the parts it is given.
"""

import gc
import logging

_state: dict = {}


def start(stylesheet: str) -> None:
    """Initialiser of a helper process: WeasyPrint, the fonts and the parsed stylesheet."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fonts = FontConfiguration()
    _state.update(fonts=fonts, stylesheet=weasyprint.CSS(string=stylesheet, font_config=fonts))


def refuse_urls(url: str, *args, **kwargs):
    raise ValueError(f"Report PDFs load nothing from outside: {url}")


def lay_out(html: str, path: str, tagged: bool = False) -> str:
    """Write the PDF of one part to `path` (in a helper process, after start())."""
    import weasyprint

    weasyprint.HTML(string=html, url_fetcher=refuse_urls).write_pdf(
        target=path, stylesheets=[_state["stylesheet"]], font_config=_state["fonts"], pdf_tags=tagged
    )
    gc.collect()  # the part's boxes are a cycle of references: free them now (reports.writers.write_pdf)
    return path
