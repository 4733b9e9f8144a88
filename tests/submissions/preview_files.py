"""Real files for the preview tests, made here rather than shipped: a photo with EXIF (camera,
GPS position, orientation), a transparent PNG, a one-page PDF with a dark bar at the top,
a decompression bomb and a corrupt PDF."""

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def jpeg_with_exif(width: int = 1200, height: int = 800) -> bytes:
    """A JPEG stored sideways: EXIF orientation 6 (rotate 90° clockwise to show it), a camera
    maker and a GPS position, all of which a preview must drop (after applying the turn)."""
    image = Image.new("RGB", (width, height), (200, 30, 30))
    image.paste((20, 20, 200), (0, 0, width // 2, height))  # left half blue: shows the rotation
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "PreviewTestCam"
    exif[GPS_IFD] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90, comment=b"secret comment")
    return out.getvalue()


def png_with_alpha(width: int = 900, height: int = 300) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 128, 0, 0))
    image.paste((0, 128, 0, 255), (0, 0, width // 3, height))
    out = io.BytesIO()
    exif = Image.Exif()
    exif[MAKE] = "PreviewTestCam"
    image.save(out, "PNG", exif=exif)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side: int = 8000) -> bytes:
    """A PNG of a few kilobytes whose pixels would take side² bytes and more: 1-bit grey,
    every row zeros. 8000² = 64 million pixels, under Pillow's own warning threshold (89
    million), so only our limit (PREVIEW_MAX_PIXELS) stands in the way."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def pdf_one_page() -> bytes:
    """A valid one-page PDF (A4, 595×842 pt): a black bar across the top fifth and a line of
    text, with a correct cross-reference table."""
    content = b"0 0 0 rg 0 674 595 168 re f BT /F1 24 Tf 72 500 Td (Load test report) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
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


def pdf_corrupt() -> bytes:
    """Starts like a PDF (so the upload check takes it as one) and is nothing after that."""
    return b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n1 0 obj << /Type /Catalog /Pages 9 0 R"


# The upload check refuses text with "<script" in its first kilobyte; further down it is
# accepted, and the preview must show it as text.
PYTHON_SOURCE = (
    '"""Replays the k6 scenario against the staging cache."""\n'
    "import statistics\n\n"
    + "".join(f"TARGET_{n:02d}_P95_MS = {40 + n}  # the budget of endpoint {n:02d} in the run\n" for n in range(20))
    + "\n\ndef p95(samples: list[float]) -> float:\n"
    '    # <script>alert("not here")</script> stays text\n'
    "    return statistics.quantiles(samples, n=100)[94]\n"
)
