"""Evidence previews in the demo: every evidence file seeded before gets its preview (built by
the worker, or in-process without Redis), and the first student's week in "changes requested"
gets four files that show each kind of preview and its failure: a photo taken sideways with
EXIF and GPS tags (an upright thumbnail without them), a one-page PDF report (its first page),
a Python script (highlighted) and a damaged PDF (its name and type instead). Idempotent: the
files are added once, and only previews that are missing are started."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from courseplatform.demo import DemoContext
from submissions import previews, services
from submissions.models import Artifact, WeeklyWork

SHOWCASE = "rack-photo.jpg"

SCRIPT = '''"""Replays the checkout scenario against the staging cache and prints the p95."""
import statistics
import time

import httpx

TARGET_P95_MS = 200


def measure(url: str, runs: int = 200) -> list[float]:
    samples = []
    with httpx.Client(timeout=5) as client:
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


if __name__ == "__main__":
    p95 = statistics.quantiles(measure("https://staging.example/checkout"), n=100)[94]
    print(f"p95 {p95:.1f} ms (target {TARGET_P95_MS} ms)")
'''


def _photo() -> bytes:
    """A "photo" of a server rack, stored sideways (EXIF orientation 6) with camera and GPS tags."""
    image = Image.new("RGB", (1200, 800), (40, 44, 52))
    for n in range(8):  # eight rack units with a status light each
        top = 40 + n * 90
        image.paste((90, 96, 110), (60, top, 1140, top + 70))
        image.paste((60, 200, 90) if n != 5 else (220, 60, 50), (1080, top + 25, 1110, top + 45))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "DemoCam"
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def _pdf() -> bytes:
    """A one-page load-test report: a title bar, a few lines and a bar chart, drawn in PDF."""
    lines = [
        "BT /F1 22 Tf 1 1 1 rg 56 780 Td (Checkout load test: week 3) Tj ET",
        "BT /F1 12 Tf 0 0 0 rg 56 700 Td (200 requests/s for 10 minutes, staging, cache warm.) Tj ET",
        "BT /F1 12 Tf 56 680 Td (p50 38 ms   p95 41 ms   p99 87 ms   errors 0.00 %) Tj ET",
    ]
    bars = [f"0.2 0.4 0.8 rg {80 + i * 60} 420 40 {h} re f" for i, h in enumerate((120, 150, 90, 200, 170, 60, 140))]
    content = "\n".join(["0.1 0.2 0.4 rg 0 760 595 82 re f", *lines, *bars]).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"")
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _damaged_pdf() -> bytes:
    # Starts like a PDF, then a truncated, checksum-less stream: pdftoppm gives up on it.
    body = zlib.compress(struct.pack(">64I", *range(64)))[:40]
    return b"%PDF-1.7\n1 0 obj << /Length 999 /Filter /FlateDecode >>\nstream\n" + body


def seed(demo: DemoContext) -> None:
    if demo.cohort is None or not demo.students:
        return
    student = demo.students[0]
    work = (
        WeeklyWork.objects.filter(student=student, cohort=demo.cohort, state=WeeklyWork.State.CHANGES_REQUESTED)
        .order_by("week__number")
        .first()
    )
    added = 0
    already = Artifact.objects.filter(work__student=student, original_name=SHOWCASE).exists()
    if work is not None and not already:
        for name, data, proves in (
            (SHOWCASE, _photo(), "The rack after re-cabling: one unit still shows a fault light"),
            ("load-test-report.pdf", _pdf(), "The load test report: p95 41 ms at 200 req/s"),
            ("replay_checkout.py", SCRIPT.encode(), "The script that replays the checkout scenario"),
            ("profiler-export.pdf", _damaged_pdf(), "The profiler's export (damaged in transfer)"),
        ):
            artifact = services.artifact_upload(
                work=work, upload=SimpleUploadedFile(name, data), proves=proves, by=student
            )
            # Built now, so the demo shows every state even before a worker runs; the task the
            # upload queued finds it done.
            previews.evidence_preview_build(artifact_id=artifact.pk)
            added += 1
    started = previews.evidence_previews_request_missing()
    demo.write(f"Evidence previews: {added} showcase file(s) added, {started} preview build(s) started.")
