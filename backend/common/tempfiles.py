"""The web process's folder for request bodies and uploaded files on their way to storage.

Each process writes into its own sub-folder of UPLOAD_TEMP_DIR and holds an exclusive lock
on a file in it for its whole life. Files are deleted as soon as their request ends; what a
crashed process left behind (its lock is gone with it) is deleted by the next process that
starts (`temp_dirs_sweep`), while the folders of live processes (other uvicorn workers,
other web containers on a shared volume) are left alone.
"""

import fcntl
import logging
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

LOCK_NAME = ".owner.lock"
# A folder younger than this may be one that another process is creating right now (between
# mkdtemp and taking its lock); the sweep leaves it for the next start.
SWEEP_MIN_AGE_S = 60

_own: tuple[int, Path, int] | None = None  # (pid, folder, lock file descriptor)


def process_temp_dir() -> Path:
    """This process's folder, created (and locked) on first use; again after a fork."""
    global _own
    if _own is None or _own[0] != os.getpid():
        root = Path(settings.UPLOAD_TEMP_DIR)
        root.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"{socket.gethostname()}-{os.getpid()}-", dir=root))
        fd = os.open(folder / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _own = (os.getpid(), folder, fd)
    return _own[1]


def temp_dirs_sweep() -> list[Path]:
    """Deletes the folders of processes that are gone (at web process start). Returns them."""
    root = Path(settings.UPLOAD_TEMP_DIR)
    if not root.is_dir():
        return []
    own = _own[1] if _own is not None and _own[0] == os.getpid() else None
    removed = []
    for entry in root.iterdir():
        try:
            if entry == own or time.time() - entry.lstat().st_mtime < SWEEP_MIN_AGE_S:
                continue
        except FileNotFoundError:
            continue  # another process's sweep got there first
        if entry.is_dir() and not entry.is_symlink() and _owner_alive(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    if removed:
        logger.info("Removed %d upload folder(s) left by stopped processes", len(removed))
    return removed


def _owner_alive(folder: Path) -> bool:
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the lock if it was taken
    return False
