"""The learner's own copies of their portfolio: a self-contained static HTML folder (zip) and
a PDF. Both are built in a temporary file and streamed; neither fetches anything from the
network (the PDF renderer's URL fetcher refuses every URL)."""

import hashlib
import re
import tempfile
import zipfile
from contextlib import closing
from pathlib import PurePosixPath

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone

from core.storage import open_for_download

from .models import Portfolio, PortfolioEntryArtifact
from .selectors import PortfolioPage, portfolio_page

SPOOL_BYTES = 8 * 1024 * 1024


# The stylesheets the public page links, inlined in this order so an export opens offline.
EXPORT_STYLESHEETS = ("css/portfolio.css", "css/evidence.css")


def _inline_css() -> str:
    parts = []
    for name in EXPORT_STYLESHEETS:
        path = finders.find(name)
        if path:
            with open(path, encoding="utf-8") as stylesheet:
                parts.append(stylesheet.read())
    return "\n".join(parts)


def proof_filename(proof: PortfolioEntryArtifact) -> str:
    """artifacts/<id>-<safe name>: unique in the folder and safe on every file system."""
    name = PurePosixPath(proof.name).name or "evidence"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")[:120] or "evidence"
    return f"artifacts/{proof.pk}-{safe}"


def export_html(page: PortfolioPage, *, for_zip: bool) -> str:
    """The page as one HTML document with its CSS inlined; in the zip, file proofs link to
    the copies in artifacts/."""
    for proof in page.proofs:
        proof.href = proof_filename(proof) if for_zip and proof.is_file else (proof.url or None)
    return render_to_string(
        "portfolios/public_page.html",
        {
            "page": page,
            "portfolio": page.portfolio,
            "export": True,
            "inline_css": _inline_css(),
            "exported_at": timezone.now(),
        },
    )


def build_zip(portfolio: Portfolio) -> tempfile.SpooledTemporaryFile:
    """index.html, artifacts/<files>, SHA256SUMS (verify with `sha256sum -c SHA256SUMS`)."""
    page = portfolio_page(portfolio, with_files=True)
    html = export_html(page, for_zip=True)
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    sums = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", html)
        sums.append(f"{hashlib.sha256(html.encode()).hexdigest()}  index.html")
        for proof in page.proofs:
            if not proof.is_file:
                continue
            name = proof_filename(proof)
            digest = hashlib.sha256()
            source, _size = open_for_download(proof.artifact.file)
            with closing(source), archive.open(name, "w") as sink:
                while chunk := source.read(64 * 1024):
                    digest.update(chunk)
                    sink.write(chunk)
            sums.append(f"{digest.hexdigest()}  {name}")
        archive.writestr("SHA256SUMS", "\n".join(sums) + "\n")
    target.seek(0)
    return target


def _refuse_urls(url: str, *args, **kwargs):
    raise ValueError(f"The portfolio PDF loads nothing from outside: {url}")


def build_pdf(portfolio: Portfolio) -> tempfile.SpooledTemporaryFile:
    import weasyprint  # imported here: it loads Pango, which only the export needs

    page = portfolio_page(portfolio)
    html = export_html(page, for_zip=False)
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    weasyprint.HTML(string=html, url_fetcher=_refuse_urls).write_pdf(target=target)
    target.seek(0)
    return target
