"""Temporary upload folders: one per web process, locked while it lives; a starting web process
removes those of processes that are gone and leaves the others alone."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backend.common import tempfiles

OLD = time.time() - 3600


def _folder(root: Path, name: str, *, age: float = OLD) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / tempfiles.LOCK_NAME).touch()
    (folder / "body-abc").write_bytes(b"partial upload")
    os.utime(folder, (age, age))
    return folder


def test_sweep_removes_only_folders_of_processes_that_are_gone(settings, tmp_path, monkeypatch):
    # given: folders of a crashed process, of a live one, one just being created, and ours
    settings.UPLOAD_TEMP_DIR = tmp_path
    dead = _folder(tmp_path, "host-1-dead")
    live = _folder(tmp_path, "host-2-live")
    young = _folder(tmp_path, "host-3-young", age=time.time())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(live / tempfiles.LOCK_NAME)!r}, os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(tempfiles, "_own", None)  # this process's folder, under tmp_path
        own = tempfiles.process_temp_dir()
        os.utime(own, (OLD, OLD))
        # when
        removed = tempfiles.temp_dirs_sweep()
        # then
        assert removed == [dead]
        assert not dead.exists()
        assert (live / "body-abc").exists()
        assert (young / "body-abc").exists()
        assert own.is_dir()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_web_process_start_sweeps_what_a_crashed_process_left(web_server, tmp_path):
    # given: a folder a crashed web process left behind
    upload_dir = tmp_path / "uploads"
    dead = _folder(upload_dir, "host-99-crashed")
    # when: a web process starts on that folder
    server = web_server(upload_dir=upload_dir)
    # then
    assert not dead.exists()
    assert server.process.poll() is None
