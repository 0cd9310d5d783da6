"""Where a video session keeps outputs that are not in RAM: immutable blobs by key.

A session writes each output at most once (keys are unique per output and an output never
changes), reads it back when tracking or a correction needs it, and deletes only blobs it
wrote itself and never put into a snapshot. One store may therefore be shared by many
sessions and by the snapshots they take (``sam2engine.inference.snapshot``): whoever keeps
snapshots decides when their blobs may go.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

#: Keys are file-name safe everywhere: letters, digits, ``-`` and ``_``, 1 to 128 characters.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_key(key: str) -> str:
    if not isinstance(key, str) or KEY_PATTERN.fullmatch(key) is None:
        raise ValueError(f"bad output key {key!r}: use 1-128 letters, digits, '-' or '_'")
    return key


@runtime_checkable
class OutputStore(Protocol):
    """Immutable blobs by key.

    ``get`` of an absent key raises ``KeyError``; ``delete`` of an absent key does nothing;
    ``put`` of an existing key may keep the old blob (it holds the same bytes).
    """

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class DiskOutputStore:
    """One file per blob in ``folder`` (created on first write).

    Writes go to a temporary file renamed into place, so a crash never leaves a partial
    blob under its key. Safe for several processes sharing the folder (each key is written
    by one session; renames are atomic on one filesystem).
    """

    SUFFIX = ".s2o"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / f"{check_key(key)}{self.SUFFIX}"

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=self.SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        n = len(self.SUFFIX)
        return sorted(
            p.name[:-n]
            for p in self.folder.iterdir()
            if p.name.endswith(self.SUFFIX) and not p.name.startswith(".")
        )

    def total_bytes(self) -> int:
        """Bytes of all blobs in the folder (disk use of the store)."""
        return sum(self._path(k).stat().st_size for k in self.keys())

    def __repr__(self) -> str:
        return f"DiskOutputStore({str(self.folder)!r})"


class PrivateDiskStore(DiskOutputStore):
    """A session's own store in a temporary folder, removed by :meth:`remove` (and at
    interpreter exit or garbage collection if the session was never closed)."""

    def __init__(self) -> None:
        super().__init__(tempfile.mkdtemp(prefix="sam2engine-outputs-"))
        import weakref

        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.folder), True)

    def remove(self) -> None:
        self._finalizer()
