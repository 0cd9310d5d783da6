import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from backend.common.tempfiles import LOCK_NAME, process_temp_dir
from backend.config import env
from tests.backend.conftest import Team
from tests.worker.conftest import _database_url as database_url
from tests.worker.conftest import broker_url  # noqa: F401 -- the fixture, for web_server


def token_header(user) -> tuple[bytes, bytes]:  # type: ignore[no-untyped-def]
    token, _ = Token.objects.get_or_create(user=user)
    return (b"authorization", f"Token {token.key}".encode())


def leftover_temp_files() -> list[str]:
    """Files in this process's upload folder (the lock aside)."""
    return sorted(p.name for p in process_temp_dir().iterdir() if p.name != LOCK_NAME)


@pytest.fixture
def manager_token(team: Team) -> tuple[bytes, bytes]:
    return token_header(team.manager)


class LiveServer:
    """The web process as production runs it (uvicorn serving backend.config.asgi), on this
    test's database, on a free port of 127.0.0.1."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path, upload_dir: Path):
        self.process, self.port, self.log, self.upload_dir = process, port, log, upload_dir
        self.url = f"http://127.0.0.1:{port}"

    def status(self, field: str) -> int:
        """A figure of /proc/<pid>/status in bytes, e.g. VmRSS or VmHWM (peak RSS)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(field)

    def reset_peak_rss(self) -> None:
        """Makes VmHWM start again from the current RSS (Linux >= 4.0)."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def temp_files(self) -> list[str]:
        return sorted(
            p.name
            for folder in self.upload_dir.iterdir()
            for p in folder.iterdir()
            if p.name != LOCK_NAME
        )

    def temp_files_after_requests(self, timeout: float = 120) -> list[str]:
        """Temporary files once the server finished with them (it deletes a body after it
        sent the answer, or when it notices a client went away)."""
        deadline = time.monotonic() + timeout
        while self.temp_files() and time.monotonic() < deadline:
            time.sleep(0.2)
        return self.temp_files()


@pytest.fixture
def web_server(transactional_db, broker_url, tmp_path) -> Iterator[Callable[..., LiveServer]]:  # noqa: F811
    started: list[LiveServer] = []

    def start(upload_dir: Path | None = None, **extra_env: str) -> LiveServer:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        upload_dir = upload_dir or tmp_path / f"uploads-{port}"
        log = tmp_path / f"web-{port}.log"
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.config.django.test",
            "DATABASE_URL": database_url(),
            "TEST_UPLOAD_TEMP_DIR": str(upload_dir),
            # The broker, as in production: SAM 2's availability and live events use it.
            "CELERY_BROKER_URL": broker_url,
            "REDIS_URL": broker_url,
            "PYTHONPATH": str(env.REPO_DIR),
            **extra_env,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "backend.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            env=environ,
            cwd=env.REPO_DIR,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        server = LiveServer(process, port, log, upload_dir)
        started.append(server)
        _wait_healthy(server)
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
        sys.stderr.write(f"--- {server.log.name}\n{server.log.read_text()[-3000:]}")


def _wait_healthy(server: LiveServer, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the web server exited:\n{server.log.read_text()}")
        try:
            with urllib.request.urlopen(server.url + "/api/v1/health/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the web server did not start:\n{server.log.read_text()}")
