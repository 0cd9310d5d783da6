"""The spill-file zip writer: archives read back with zipfile and Info-ZIP's unzip, ZIP64
records where (lowered) limits are reached, memory flat in the number of members."""

import io
import shutil
import subprocess
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from backend.exports.zipwriter import ZipWriter

UNZIP = shutil.which("unzip")


def _build(path: Path) -> dict[str, bytes]:
    expected = {
        "notes.txt": b"hello " * 500,
        "frames/00000.jpg": bytes(range(256)) * 4,
        "ünïcode/名前.txt": "naïve".encode(),
    }
    with path.open("wb") as out, ZipWriter(out) as archive:
        archive.write("notes.txt", expected["notes.txt"], compress=True)
        archive.write("frames/00000.jpg", expected["frames/00000.jpg"], compress=False)
        archive.write("ünïcode/名前.txt", expected["ünïcode/名前.txt"], compress=True)
        with io.TextIOWrapper(archive.open("big.json"), encoding="utf-8") as text:
            for i in range(5000):
                text.write(f'{{"i":{i}}},')
        with archive.open("raw.bin", compress=False) as stream:
            stream.write(b"\x00\x01" * 700)
        for i in range(12):
            archive.write(f"many/{i:03d}.txt", str(i).encode(), compress=False)
    expected["big.json"] = "".join(f'{{"i":{i}}},' for i in range(5000)).encode()
    expected["raw.bin"] = b"\x00\x01" * 700
    expected.update({f"many/{i:03d}.txt": str(i).encode() for i in range(12)})
    return expected


def _check_reads_back(path: Path, expected: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(expected)
        for name, data in expected.items():
            assert archive.read(name) == data, name
            assert archive.getinfo(name).file_size == len(data)
        assert archive.getinfo("notes.txt").compress_type == zipfile.ZIP_DEFLATED
        assert archive.getinfo("frames/00000.jpg").compress_type == zipfile.ZIP_STORED
    if UNZIP:
        result = subprocess.run([UNZIP, "-tq", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_archive_reads_back_with_zipfile_and_unzip(tmp_path):
    path = tmp_path / "plain.zip"
    expected = _build(path)

    _check_reads_back(path, expected)
    assert b"PK\x06\x06" not in path.read_bytes()  # small: no ZIP64 end record


def test_zip64_fields_and_end_records_past_lowered_limits(tmp_path, monkeypatch):
    # given limits small enough that sizes, offsets and the member count all pass them
    monkeypatch.setattr(ZipWriter, "ZIP64_LIMIT", 600)
    monkeypatch.setattr(ZipWriter, "COUNT_LIMIT", 10)
    path = tmp_path / "zip64.zip"

    # when
    expected = _build(path)

    # then the classic end record points at the ZIP64 one, and readers follow it
    data = path.read_bytes()
    assert data.count(b"PK\x06\x06") == 1
    assert data.count(b"PK\x06\x07") == 1
    assert data[-22:-18] == b"PK\x05\x06"
    assert data[-14:-12] == b"\xff\xff"  # member count: see the ZIP64 record
    _check_reads_back(path, expected)
    with zipfile.ZipFile(path) as archive:
        notes = archive.getinfo("notes.txt")
        assert notes.file_size == 3000  # past the lowered limit: read from the ZIP64 extra
        assert archive.getinfo("many/011.txt").header_offset > 600


def test_memory_does_not_grow_with_the_number_of_members():
    with tempfile.TemporaryFile() as out:
        writer = ZipWriter(out)
        tracemalloc.start()
        try:
            for i in range(300):
                writer.write(f"Annotations/v/{i // 20:03d}/{i:05d}.png", b"x" * 64, compress=False)
            after_few, _ = tracemalloc.get_traced_memory()
            for i in range(300, 6300):
                writer.write(f"Annotations/v/{i // 20:03d}/{i:05d}.png", b"x" * 64, compress=False)
            after_many, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        writer.close()
        # zipfile would hold 6,000 more ZipInfo objects here (about 3 MB)
        assert after_many - after_few < 64 * 1024
        assert not any(isinstance(v, list | dict | set) for v in vars(writer).values())
        assert writer.count == 6300
        out.seek(0)
        with zipfile.ZipFile(out) as archive:
            assert len(archive.infolist()) == 6300
            assert archive.read("Annotations/v/314/06299.png") == b"x" * 64


def test_one_member_open_at_a_time_and_nothing_after_close():
    with tempfile.TemporaryFile() as out:
        writer = ZipWriter(out)
        stream = writer.open("a.json")
        with pytest.raises(ValueError, match="still open"):
            writer.write("b.txt", b"b", compress=False)
        stream.close()
        writer.write("b.txt", b"b", compress=False)
        with pytest.raises(ValueError, match="Invalid zip member name"):
            writer.write("/etc/passwd", b"", compress=False)
        writer.close()
        with pytest.raises(ValueError, match="closed"):
            writer.write("c.txt", b"c", compress=False)
        out.seek(0)
        assert zipfile.ZipFile(out).namelist() == ["a.json", "b.txt"]


def test_failure_inside_the_block_leaves_no_central_directory():
    with tempfile.TemporaryFile() as out:

        def export() -> None:
            with ZipWriter(out) as writer:
                writer.write("a.txt", b"a", compress=False)
                raise RuntimeError("export failed")

        with pytest.raises(RuntimeError):
            export()
        out.seek(0)
        assert b"PK\x05\x06" not in out.read()
