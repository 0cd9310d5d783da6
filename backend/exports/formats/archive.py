"""Reading and writing archives: JSON and zip helpers shared by every format. Zip reading
refuses entries that escape the archive or inflate past the limits."""

import io
import json
import posixpath
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import IO, Any

from backend.exports.formats.base import FormatError
from backend.exports.zipwriter import ZipWriter


def load_json(data: bytes, *, name: str) -> Any:
    """Parsed JSON, or a FormatError in plain words: broken syntax, nesting past Python's
    recursion limit (the parser raises RecursionError, which would otherwise be a 500),
    integers of more digits than Python converts, NaN or Infinity."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise FormatError(
            f"{name} nests lists or objects too deeply to be a dataset file.",
            extra={"file": name},
        ) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, too many digits
        raise FormatError(f"{name} is not valid JSON: {exc}.", extra={"file": name}) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def write_bytes(zf: ZipWriter, name: str, data: bytes, *, compress: bool) -> None:
    """JPEG and PNG are compressed already; deflating them again only costs time."""
    zf.write(name, data, compress=compress)


def open_text(zf: ZipWriter, name: str) -> IO[str]:
    """A text stream into a new deflated zip entry; nothing of it stays in memory."""
    return io.TextIOWrapper(zf.open(name, compress=True), encoding="utf-8")


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 200_000
    max_entry_bytes: int = 64 * 1024 * 1024  # one PNG or JSON, uncompressed
    max_total_bytes: int = 4 * 1024 * 1024 * 1024


def safe_entries(zf: zipfile.ZipFile, limits: ZipLimits) -> list[zipfile.ZipInfo]:
    """The zip's file entries, refusing absolute paths, '..' parts and declared sizes past
    the limits. Reading goes through read_entry, which also stops at the limit, because a
    header can lie about the size."""
    infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise FormatError(f"The zip has {len(infos)} entries; at most {limits.max_entries}.")
    total = 0
    files = []
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (
            name.startswith(("/", "\\"))
            or ".." in parts
            or (len(name) > 1 and name[1] == ":")
            or "\x00" in name
        ):
            raise FormatError(
                f"The zip entry {name!r} points outside the archive (path traversal).",
                extra={"entry": name},
            )
        if info.is_dir():
            continue
        if info.file_size > limits.max_entry_bytes:
            raise FormatError(
                f"The zip entry {name!r} inflates to {info.file_size} bytes; "
                f"at most {limits.max_entry_bytes} per entry.",
                extra={"entry": name},
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise FormatError(f"The zip inflates past {limits.max_total_bytes} bytes in all.")
        files.append(info)
    return files


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ZipLimits) -> bytes:
    try:
        with zf.open(info) as stream:
            data = stream.read(limits.max_entry_bytes + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise FormatError(f"The zip entry {info.filename!r} cannot be read: {exc}.") from exc
    if len(data) > limits.max_entry_bytes:
        raise FormatError(
            f"The zip entry {info.filename!r} inflates past {limits.max_entry_bytes} bytes.",
            extra={"entry": info.filename},
        )
    return data


def entry_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    return tuple(p for p in posixpath.normpath(info.filename).split("/") if p not in ("", "."))


def frame_number(stem: str, *, name: str, frame_count: int) -> int:
    """The frame number a file is named by (00042.png -> 42), below `frame_count`."""
    # isascii: str.isdigit accepts digits such as "²" that int() refuses.
    if not (stem.isascii() and stem.isdigit()) or len(stem) > 9:
        raise FormatError(
            f"{name}: file names must be frame numbers such as 00042.png.", extra={"file": name}
        )
    index = int(stem)
    if index >= frame_count:
        raise FormatError(
            f"{name}: frame {index} is outside the video's {frame_count} frames.",
            extra={"file": name},
        )
    return index


def choose_folder(folders: Collection[str], source_video: str | None) -> str:
    """The folder of the video to import: `source_video` is its path inside the zip (a
    base name is enough when no other folder has it); without it the zip must hold one."""
    listed = {"folders": sorted(folders)[:20]}
    if source_video is None:
        if len(folders) == 1:
            return next(iter(folders))
        raise FormatError(
            "The zip holds several videos; name the one to import (source_video) by its "
            "folder's path.",
            extra=listed,
        )
    wanted = source_video.strip("/")
    if wanted in folders:
        return wanted
    named = sorted(f for f in folders if posixpath.basename(f) == wanted)
    if len(named) == 1:
        return named[0]
    if named:
        raise FormatError(
            f"{len(named)} folders are named {wanted!r}; give the full path of the one to "
            f"import, such as {named[0]!r}.",
            extra={"folders": named[:20]},
        )
    raise FormatError(f"The zip has no video folder {wanted!r}.", extra=listed)
