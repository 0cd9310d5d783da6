"""Files of the videos' SAM 2 states in the platform's storage, fast enough for the engine.

On a local folder storage (the embedded default, or a folder shared by the workers) files
are written in place, atomically. On other storages (S3) a worker writes to a local cache
and one background thread uploads the files in the order they were written, so a head that
refers to outputs is never visible before them; reads come from the cache when they can.
"""

import logging
import os
import queue
import tempfile
import threading
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage

logger = logging.getLogger(__name__)


class StateFiles:
    """Read and write whole files of SAM 2 states by storage path."""

    def __init__(self, storage: Storage, cache_dir: Path) -> None:
        self.storage = storage
        self.local = isinstance(storage, FileSystemStorage)
        self.cache_dir = cache_dir
        self._uploads: queue.Queue[tuple[str, Path]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _path(self, name: str) -> Path:
        root = Path(self.storage.path("")) if self.local else self.cache_dir
        return root / name

    def write(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, prefix=".w-") as fh:
            fh.write(data)
        os.replace(fh.name, path)  # readers see the whole file or none
        if not self.local:
            self._ensure_uploader()
            self._uploads.put((name, path))

    def read(self, name: str, *, fresh: bool = False) -> bytes:
        """The file's bytes; ``fresh`` skips the local cache of a remote storage (for files
        that other workers replace, such as a head)."""
        path = self._path(name)
        if path.is_file() and (self.local or not fresh):
            return path.read_bytes()
        if self.local:
            raise FileNotFoundError(name)
        with self.storage.open(name, "rb") as fh:
            data: bytes = fh.read()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return data

    def exists(self, name: str) -> bool:
        return self._path(name).is_file() or (not self.local and self.storage.exists(name))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
        if not self.local and self.storage.exists(name):
            self.storage.delete(name)

    def flush(self) -> None:
        """Waits until every file written so far is in the storage (remote storages)."""
        if not self.local:
            self._uploads.join()

    def _ensure_uploader(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._upload_loop, daemon=True, name="sam2-state-upload"
                )
                self._thread.start()

    def _upload_loop(self) -> None:
        while True:
            name, path = self._uploads.get()
            while True:
                try:
                    if self.storage.exists(name):
                        self.storage.delete(name)
                    self.storage.save(name, ContentFile(path.read_bytes()))
                    break
                except Exception:  # noqa: BLE001 -- retried in order: later heads need it
                    logger.warning("could not upload %s; retrying", name, exc_info=True)
                    threading.Event().wait(1)
            self._uploads.task_done()


_files: StateFiles | None = None


def state_files() -> StateFiles:
    """The process's one StateFiles on the default storage."""
    global _files
    if _files is None:
        _files = StateFiles(default_storage, Path(settings.SAM2_STATE_CACHE_DIR))
    return _files


class StorageOutputStore:
    """The engine's output store for one video: outputs as files under ``prefix``."""

    def __init__(self, prefix: str, files: StateFiles | None = None) -> None:
        self.prefix = prefix.rstrip("/")
        self.files = files or state_files()

    def put(self, key: str, data: bytes) -> None:
        self.files.write(f"{self.prefix}/{key}", data)

    def get(self, key: str) -> bytes:
        try:
            return self.files.read(f"{self.prefix}/{key}")
        except (FileNotFoundError, OSError) as exc:
            raise KeyError(key) from exc

    def delete(self, key: str) -> None:
        self.files.delete(f"{self.prefix}/{key}")
