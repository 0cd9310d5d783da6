"""A zip writer whose memory does not grow with the number of members.

Python's zipfile keeps one ZipInfo (about half a kilobyte) per member until close, because
the central directory is written last; an SA-V val export of 1,000 frames x 20 objects has
some 21,000 members. stream-zip and zipstream-ng buffer the same per-member metadata in
memory. Here each member's central directory record is written, as bytes, to a spill file
the moment the member is finished; close() copies that file behind the members and ends the
archive. The writer itself holds a few counters and nothing per member.

The output is a standard zip (PKWARE APPNOTE 6.3): stored or deflated members, ZIP64 extra
fields on a member whose size or offset reaches 0xFFFFFFFF, and the ZIP64 end records when
the archive has 0xFFFF members or more or its directory starts or ends past 4 GiB.
Names are stored as UTF-8 (flag bit 11 set for a non-ASCII name). Member names are not
checked for duplicates (that would need a set growing with the members); callers write
distinct names.
"""

import io
import shutil
import struct
import tempfile
import time
import zlib
from types import TracebackType
from typing import BinaryIO

_LOCAL = struct.Struct("<4sHHHHHIIIHH")  # local file header, 30 bytes
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")  # central directory header, 46 bytes
_END = struct.Struct("<4sHHHHIIH")  # end of central directory record, 22 bytes
_END64 = struct.Struct("<4sQHHIIQQQQ")  # ZIP64 end of central directory record, 56 bytes
_END64_LOCATOR = struct.Struct("<4sIQI")  # ZIP64 end of central directory locator, 20 bytes
_ZIP64_EXTRA_ID = 0x0001

STORED = 0
DEFLATED = 8
_VERSION_STORED = 10
_VERSION_DEFLATED = 20
_VERSION_ZIP64 = 45
_MADE_BY = (3 << 8) | _VERSION_ZIP64  # Unix, APPNOTE 4.5
_FILE_ATTRIBUTES = (0o100644 & 0xFFFF) << 16  # a regular file, rw-r--r--
_FLAG_UTF8 = 0x800
_COPY_CHUNK = 64 * 1024  # small: a read buffer counts towards peak memory too


def _dos_date_time(moment: time.struct_time) -> tuple[int, int]:
    year = min(max(moment.tm_year, 1980), 2107)
    date = ((year - 1980) << 9) | (moment.tm_mon << 5) | moment.tm_mday
    clock = (moment.tm_hour << 11) | (moment.tm_min << 5) | (moment.tm_sec // 2)
    return date, clock


class ZipWriter:
    """Members are written one at a time, in order, to `file` (binary, writable; seekable
    for members opened with open()). Use as a context manager or call close(): nothing is
    a valid zip before close() has written the central directory."""

    # Sizes and offsets at or past this need ZIP64 fields; member counts at or past
    # COUNT_LIMIT need the ZIP64 end records. Class attributes so tests can lower them.
    ZIP64_LIMIT = 0xFFFFFFFF
    COUNT_LIMIT = 0xFFFF

    def __init__(self, file: BinaryIO, *, spill_dir: str | None = None) -> None:
        self._out = file
        self._start = file.tell() if file.seekable() else 0
        self._offset = 0  # bytes written so far, from the archive's start
        self._count = 0
        self._spill = tempfile.TemporaryFile(  # noqa: SIM115 -- closed by close() or abort()
            prefix="zip-directory-", dir=spill_dir
        )
        self._directory_bytes = 0
        self._open_entry: _EntryWriter | None = None
        self._closed = False
        self._date, self._time = _dos_date_time(time.localtime())

    # ---- members -----------------------------------------------------------------------

    @property
    def count(self) -> int:
        """Members written so far."""
        return self._count

    def write(self, name: str, data: bytes, *, compress: bool) -> None:
        """One member from bytes; `compress` deflates it (JPEG and PNG gain nothing)."""
        self._check_writable()
        raw_name, flags = self._encode_name(name)
        crc = zlib.crc32(data)
        if compress:
            packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            payload = packer.compress(data) + packer.flush()
            method = DEFLATED
        else:
            payload = data
            method = STORED
        size, compressed = len(data), len(payload)
        zip64 = size >= self.ZIP64_LIMIT or compressed >= self.ZIP64_LIMIT
        header_offset = self._offset
        extra = struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, size, compressed) if zip64 else b""
        self._emit(
            _LOCAL.pack(
                b"PK\x03\x04",
                self._version(method, zip64),
                flags,
                method,
                self._time,
                self._date,
                crc,
                0xFFFFFFFF if zip64 else compressed,
                0xFFFFFFFF if zip64 else size,
                len(raw_name),
                len(extra),
            )
            + raw_name
            + extra
        )
        self._emit(payload)
        self._record(raw_name, flags, method, crc, compressed, size, header_offset)

    def open(self, name: str, *, compress: bool = True) -> "_EntryWriter":
        """A binary stream into a new member, for contents of unknown size; only one member
        is open at a time and it is finished by closing the stream. Needs a seekable file:
        sizes and CRC are written into the local header when the stream closes."""
        self._check_writable()
        if not self._out.seekable():
            raise ValueError("Streaming a member needs a seekable output file.")
        raw_name, flags = self._encode_name(name)
        method = DEFLATED if compress else STORED
        header_offset = self._offset
        # Sizes are unknown: the local header reserves ZIP64 fields, as zipfile's
        # force_zip64 does, so a member of any size fits without moving its data.
        extra = struct.pack("<HHQQ", _ZIP64_EXTRA_ID, 16, 0, 0)
        self._emit(
            _LOCAL.pack(
                b"PK\x03\x04",
                _VERSION_ZIP64,
                flags,
                method,
                self._time,
                self._date,
                0,
                0xFFFFFFFF,
                0xFFFFFFFF,
                len(raw_name),
                len(extra),
            )
            + raw_name
            + extra
        )
        self._open_entry = _EntryWriter(self, raw_name, flags, method, header_offset)
        return self._open_entry

    def _finish_entry(
        self,
        entry: "_EntryWriter",
        *,
        crc: int,
        compressed: int,
        size: int,
    ) -> None:
        """Called by an entry stream on close: fill in its local header, record it."""
        end = self._out.tell()
        crc_at = self._start + entry.header_offset + 14
        self._out.seek(crc_at)
        self._out.write(struct.pack("<I", crc))
        extra_at = self._start + entry.header_offset + _LOCAL.size + len(entry.raw_name) + 4
        self._out.seek(extra_at)
        self._out.write(struct.pack("<QQ", size, compressed))
        self._out.seek(end)
        self._open_entry = None
        self._record(
            entry.raw_name, entry.flags, entry.method, crc, compressed, size, entry.header_offset
        )

    # ---- the end -----------------------------------------------------------------------

    def close(self) -> None:
        """Write the central directory (copied from the spill file) and the end records."""
        if self._closed:
            return
        if self._open_entry is not None:
            self._open_entry.close()
        directory_offset = self._offset
        self._spill.seek(0)
        shutil.copyfileobj(self._spill, _Counter(self), _COPY_CHUNK)
        self._spill.close()
        directory_size = self._directory_bytes
        count = self._count
        if (
            count >= self.COUNT_LIMIT
            or directory_offset >= self.ZIP64_LIMIT
            or directory_size >= self.ZIP64_LIMIT
        ):
            end64_offset = self._offset
            self._emit(
                _END64.pack(
                    b"PK\x06\x06",
                    _END64.size - 12,
                    _MADE_BY,
                    _VERSION_ZIP64,
                    0,
                    0,
                    count,
                    count,
                    directory_size,
                    directory_offset,
                )
                + _END64_LOCATOR.pack(b"PK\x06\x07", 0, end64_offset, 1)
            )
            # A field too large for the classic record says "see the ZIP64 record".
            if count >= self.COUNT_LIMIT:
                count = 0xFFFF
            if directory_size >= self.ZIP64_LIMIT:
                directory_size = 0xFFFFFFFF
            if directory_offset >= self.ZIP64_LIMIT:
                directory_offset = 0xFFFFFFFF
        self._emit(
            _END.pack(b"PK\x05\x06", 0, 0, count, count, directory_size, directory_offset, 0)
        )
        self._out.flush()
        self._closed = True

    def abort(self) -> None:
        """Drop the spill file without finishing the archive (the output is then no zip)."""
        if not self._closed:
            self._spill.close()
            self._closed = True

    def __enter__(self) -> "ZipWriter":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # ---- internals ---------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self._closed:
            raise ValueError("The zip is closed.")
        if self._open_entry is not None:
            raise ValueError("Another member is still open; close it first.")

    @staticmethod
    def _encode_name(name: str) -> tuple[bytes, int]:
        if not name or name.startswith("/") or "\x00" in name:
            raise ValueError(f"Invalid zip member name {name!r}.")
        raw = name.encode("utf-8")
        if len(raw) > 0xFFFF:
            raise ValueError("A zip member name is at most 65535 bytes.")
        return raw, (0 if name.isascii() else _FLAG_UTF8)

    @staticmethod
    def _version(method: int, zip64: bool) -> int:
        if zip64:
            return _VERSION_ZIP64
        return _VERSION_DEFLATED if method == DEFLATED else _VERSION_STORED

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._offset += len(data)

    def _record(
        self,
        raw_name: bytes,
        flags: int,
        method: int,
        crc: int,
        compressed: int,
        size: int,
        header_offset: int,
    ) -> None:
        """The member's central directory header, straight to the spill file."""
        fields = b""
        if size >= self.ZIP64_LIMIT:
            fields += struct.pack("<Q", size)
        if compressed >= self.ZIP64_LIMIT:
            fields += struct.pack("<Q", compressed)
        if header_offset >= self.ZIP64_LIMIT:
            fields += struct.pack("<Q", header_offset)
        extra = struct.pack("<HH", _ZIP64_EXTRA_ID, len(fields)) + fields if fields else b""
        record = (
            _CENTRAL.pack(
                b"PK\x01\x02",
                _MADE_BY,
                self._version(method, bool(fields)),
                flags,
                method,
                self._time,
                self._date,
                crc,
                0xFFFFFFFF if compressed >= self.ZIP64_LIMIT else compressed,
                0xFFFFFFFF if size >= self.ZIP64_LIMIT else size,
                len(raw_name),
                len(extra),
                0,
                0,
                0,
                _FILE_ATTRIBUTES,
                0xFFFFFFFF if header_offset >= self.ZIP64_LIMIT else header_offset,
            )
            + raw_name
            + extra
        )
        self._spill.write(record)
        self._directory_bytes += len(record)
        self._count += 1


class _Counter:
    """A write-only view of the writer's output that keeps its byte offset right."""

    def __init__(self, writer: ZipWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> int:
        self._writer._emit(data)
        return len(data)


class _EntryWriter(io.BufferedIOBase):
    """The stream ZipWriter.open() returns: CRC and sizes counted as data passes."""

    def __init__(
        self, writer: ZipWriter, raw_name: bytes, flags: int, method: int, header_offset: int
    ) -> None:
        super().__init__()
        self._writer = writer
        self.raw_name = raw_name
        self.flags = flags
        self.method = method
        self.header_offset = header_offset
        self._packer = (
            zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
            if method == DEFLATED
            else None
        )
        self._crc = 0
        self._size = 0
        self._compressed = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("I/O operation on a closed zip member.")
        view = memoryview(data).cast("B")
        self._crc = zlib.crc32(view, self._crc)
        self._size += len(view)
        payload = self._packer.compress(view) if self._packer else bytes(view)
        if payload:
            self._compressed += len(payload)
            self._writer._emit(payload)
        return len(view)

    def close(self) -> None:
        if self.closed:
            return
        if self._packer is not None:
            tail = self._packer.flush()
            self._compressed += len(tail)
            self._writer._emit(tail)
        super().close()
        self._writer._finish_entry(
            self, crc=self._crc, compressed=self._compressed, size=self._size
        )
